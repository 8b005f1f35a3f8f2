"""Instructions a `ledger serve` process executes per HTTP command: a figure a loaded machine
does not move, where CPU seconds do.

    ./dev bench --instructions [--walks LOW HIGH]
    .venv/bin/python -m benchmarks.instructions [--walks LOW HIGH]

Starts an embedded PostgreSQL, then twice `ledger serve --workers 1` under valgrind's
cachegrind (it must be installed: `apt install valgrind`): one client walks LOW, then HIGH
refunds of the W3 command mix through it (request, a manager's approval for every other one,
payout start and settlement, each POST with a fresh Idempotency-Key). The difference of the two
runs' instruction counts, over the difference of their requests, is the server's instructions
per request without its start and stop. Run it on two checkouts to compare them.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx

from benchmarks.http import free_port, issue_tokens
from localservers.postgres import create_database, running_postgres

TODAY = time.strftime("%Y-%m-%d", time.gmtime())
PATHS = (("billing_error", "30.00", None), ("billing_error", "120.00", "manager"))
START_SECONDS = 600  # under cachegrind the server starts some 30 times slower
WALKS = (10, 60)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.instructions", description=__doc__.split("\n\n")[0]
    )
    add_walks_option(parser)
    low, high = parser.parse_args(argv).walks
    return report(low, high)


def add_walks_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--walks", nargs=2, type=int, default=WALKS, metavar=("LOW", "HIGH"),
        help=f"refunds walked by the two servers under cachegrind (default: {WALKS[0]} {WALKS[1]})",
    )  # fmt: skip


def report(low: int, high: int) -> int:
    """Print the instructions per request; 2 when valgrind is not installed."""
    if shutil.which("valgrind") is None:
        print("benchmarks: --instructions needs valgrind (apt install valgrind)", file=sys.stderr)
        return 2
    per, requests_low, requests_high = per_request(low, high)
    print(f"{per / 1e6:.4f} M instructions per request "
          f"({requests_low} and {requests_high} requests)")  # fmt: skip
    return 0


def per_request(low: int, high: int) -> tuple[float, int, int]:
    """The server's instructions per HTTP command (start and stop left out), and the two
    servers' requests."""
    with running_postgres(durable=True) as server, tempfile.TemporaryDirectory() as scratch:
        counts = []
        for walks in (low, high):
            name = f"instr_{uuid.uuid4().hex[:8]}"
            create_database(server.get_uri(), name)
            counts.append(measure(server.get_uri(name), walks, Path(scratch)))
    (requests_low, ir_low), (requests_high, ir_high) = counts
    return (ir_high - ir_low) / (requests_high - requests_low), requests_low, requests_high


def measure(url: str, walks: int, scratch: Path) -> tuple[int, int]:
    """(requests, instructions) of one server that answered `walks` refunds' commands."""
    tokens = issue_tokens(url)
    port = free_port()
    log = scratch / f"cachegrind-{walks}.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEDGER_")}
    command = [
        "valgrind", "--tool=cachegrind", "--cache-sim=no",
        f"--cachegrind-out-file={scratch / f'cachegrind-{walks}.out'}",
        sys.executable, "-m", "cli.main", "--db", url, "serve", "--port", str(port),
        "--workers", "1",
    ]  # fmt: skip
    with log.open("w") as sink:
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=sink, env=env)
    base = f"http://127.0.0.1:{port}"
    _wait_ready(base, process)
    requests = _walk(base, tokens, walks)
    process.send_signal(signal.SIGINT)
    process.wait(START_SECONDS)
    found = re.search(r"I\s+refs:\s+([\d,]+)", log.read_text())
    if found is None:
        raise SystemExit(f"no instruction count in {log}:\n{log.read_text()[-2000:]}")
    return requests, int(found.group(1).replace(",", ""))


def _walk(base: str, tokens: dict[str, str], walks: int) -> int:
    count = 0
    tag = uuid.uuid4().hex[:6]
    with httpx.Client(base_url=base, timeout=60) as client:

        def post(path: str, role: str, body: dict[str, str]) -> dict[str, str]:
            nonlocal count
            count += 1
            headers = {"Authorization": f"Bearer {tokens[role]}",
                       "Idempotency-Key": uuid.uuid4().hex}  # fmt: skip
            answer = client.post(path, json=body, headers=headers)
            if answer.status_code >= 300:
                raise SystemExit(f"{path}: {answer.status_code} {answer.text}")
            found: dict[str, str] = answer.json()
            return found

        for n in range(walks):
            reason, amount, approver = PATHS[n % len(PATHS)]
            body = {"order_id": f"O-{tag}-{n}", "customer_id": f"C-{tag}-{n}",
                    "amount": amount, "currency": "EUR", "order_total": "250.00",
                    "reason": reason, "purchased_on": TODAY}  # fmt: skip
            at = f"/refunds/{post('/refunds', 'agent', body)['id']}"
            if approver is not None:
                post(f"{at}/approvals", approver, {})
            post(f"{at}/payouts", "finance", {})
            post(f"{at}/payouts/settlement", "finance", {"reference": f"P{tag}{n}"})
    return count


def _wait_ready(base: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline and process.poll() is None:
        try:
            httpx.get(base + "/healthz", timeout=5)
            return
        except httpx.HTTPError:
            time.sleep(0.5)
    raise SystemExit("the server did not start under cachegrind")


if __name__ == "__main__":
    sys.exit(main())
