"""The HTTP load generator of W3, run as its own process: `python -m benchmarks.loadgen`.

It reads a JSON `Plan` on stdin and writes a JSON `Tally` on stdout. Each client is one
keep-alive HTTP/1.1 connection driven by a raw asyncio client (pre-built request bytes, a
status line and Content-Length read back), so the generator spends little of the CPU the
server needs: httpx costs several times more per request. Every client stops when the
shared count of requests or the time runs out, whichever comes first.

Plans: "commands" walks refunds through the W1 mix (request, verify when goods come back,
a manager's approval above 50.00, payout start and settlement), each POST with a fresh
Idempotency-Key; "reads" has each client request one refund, then read it back in turn
(GET /refunds/{id}, then its history); "trivial" posts a small JSON body to /echo.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
import uuid
from dataclasses import asdict, dataclass, field
from typing import Any

#: (reason, amount, who approves: None when the ledger approves automatically)
PATHS = (
    ("damaged", "30.00", None),  # verified by the verifier, then approved automatically
    ("billing_error", "30.00", None),  # verified and approved at once
    ("billing_error", "120.00", "manager"),  # a manager approves
)
#: Bought today: a goods return without a purchase date would wait for a person.
TODAY = time.strftime("%Y-%m-%d", time.gmtime())
ECHO = {"order_id": "O-1", "customer_id": "C-1", "amount": "30.00", "currency": "EUR"}


@dataclass
class Plan:
    port: int
    mix: str  # "commands", "reads" or "trivial"
    clients: int
    requests: int
    seconds: float
    tokens: dict[str, str] = field(default_factory=dict)  # role -> bearer token
    tag: str = "r"  # makes order and customer ids unique per run


@dataclass
class Tally:
    answered: int = 0
    seconds: float = 0.0
    cpu_seconds: float = 0.0
    statuses: dict[str, int] = field(default_factory=dict)
    latencies_ms: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)


class Spent(Exception):
    """The shared budget of requests or time is spent: the client stops."""


class Client:
    def __init__(self, plan: Plan, budget: list[int], deadline: float, tally: Tally) -> None:
        self.plan, self.budget, self.deadline, self.tally = plan, budget, deadline, tally
        self.auth = {role: f"Bearer {token}" for role, token in plan.tokens.items()}
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def call(self, method: str, path: str, role: str | None, body: Any = None) -> Any:
        if self.budget[0] <= 0 or time.monotonic() >= self.deadline:
            raise Spent
        self.budget[0] -= 1
        payload = b"" if body is None else json.dumps(body).encode()
        lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1"]
        if role is not None:
            lines.append(f"Authorization: {self.auth[role]}")
        if method == "POST":
            lines += [
                f"Idempotency-Key: {uuid.uuid4().hex}",
                "Content-Type: application/json",
                f"Content-Length: {len(payload)}",
            ]
        request = ("\r\n".join(lines) + "\r\n\r\n").encode() + payload
        started = time.perf_counter()
        status, answer = await self._exchange(request)
        self.tally.latencies_ms.append((time.perf_counter() - started) * 1000)
        key = f"{status}"
        self.tally.statuses[key] = self.tally.statuses.get(key, 0) + 1
        self.tally.answered += 1
        if status >= 300:
            if len(self.tally.failures) < 10:
                self.tally.failures.append(f"{method} {path} -> {status}: {answer[:300]!r}")
            return None
        return json.loads(answer) if answer else None

    async def _exchange(self, request: bytes) -> tuple[int, bytes]:
        if self.writer is None or self.reader is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.plan.port)
        self.writer.write(request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        status = int(lines[0].split(b" ", 2)[1])
        length = 0
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        return status, await self.reader.readexactly(length) if length else b""

    async def commands(self, first: int, step: int) -> None:
        for n in range(first, sys.maxsize, step):
            reason, amount, approver = PATHS[n % len(PATHS)]
            body = {"order_id": f"O-{self.plan.tag}-{n}", "customer_id": f"C-{self.plan.tag}-{n}",
                    "amount": amount, "currency": "EUR", "order_total": "250.00",
                    "reason": reason, "purchased_on": TODAY}  # fmt: skip
            refund = await self.call("POST", "/refunds", "agent", body)
            if refund is None:
                continue
            at = f"/refunds/{refund['id']}"
            if refund["status"] == "requested":
                await self.call("POST", f"{at}/verification", "verifier", {"condition": "ok"})
            if approver is not None:
                await self.call("POST", f"{at}/approvals", approver, {})
            await self.call("POST", f"{at}/payouts", "finance", {})
            await self.call("POST", f"{at}/payouts/settlement", "finance", {"reference": f"P{n}"})

    async def reads(self, first: int) -> None:
        body = {"order_id": f"O-{self.plan.tag}-{first}", "customer_id": f"C-{self.plan.tag}",
                "amount": "30.00", "currency": "EUR", "order_total": "250.00",
                "reason": "billing_error", "purchased_on": TODAY}  # fmt: skip
        refund = await self.call("POST", "/refunds", "agent", body)
        while refund is not None:
            await self.call("GET", f"/refunds/{refund['id']}", "agent")
            await self.call("GET", f"/refunds/{refund['id']}/history", "agent")

    async def trivial(self) -> None:
        while True:
            await self.call("POST", "/echo", None, ECHO)

    async def run(self, first: int) -> None:
        try:
            if self.plan.mix == "commands":
                await self.commands(first, self.plan.clients)
            elif self.plan.mix == "reads":
                await self.reads(first)
            else:
                await self.trivial()
        except Spent:
            pass
        except (OSError, asyncio.IncompleteReadError, ValueError) as error:
            self.tally.failures.append(f"client {first}: {type(error).__name__}: {error}")
        finally:
            if self.writer is not None:
                self.writer.close()


async def drive(plan: Plan) -> Tally:
    tally = Tally()
    budget = [plan.requests]
    started, cpu = time.perf_counter(), time.process_time()
    clients = [Client(plan, budget, time.monotonic() + plan.seconds, tally)
               for _ in range(plan.clients)]  # fmt: skip
    await asyncio.gather(*(client.run(i) for i, client in enumerate(clients)))
    tally.seconds = time.perf_counter() - started
    tally.cpu_seconds = time.process_time() - cpu
    return tally


def main() -> None:
    plan = Plan(**json.load(sys.stdin))
    try:
        import uvloop

        tally = uvloop.run(drive(plan))
    except ImportError:  # pragma: no cover - uvloop comes with uvicorn[standard]
        tally = asyncio.run(drive(plan))
    json.dump(asdict(tally), sys.stdout)


if __name__ == "__main__":
    main()
