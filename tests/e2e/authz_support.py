"""The authorization matrix's tools: a client per principal, fresh refunds brought into a
state through the API, one call timed against the event store, and the checks of its answer.
"""

from __future__ import annotations

import secrets
import uuid
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

import httpx

from .http_support import Server, event_log

PROBLEM_JSON = "application/problem+json"
BAD_TOKENS = ("no-token", "malformed", "unknown", "revoked", "expired")

# The people who bring refunds into a state; nobody in the matrix shares their names, so
# separation of duties never decides a matrix cell.
INTAKE, APPROVER, PAYER = "agent:ivy", "manager:max", "finance:flo"


@dataclass(frozen=True)
class Call:
    """How to exercise an endpoint: the state its refund is brought into first (`new`: no
    refund, a request on a newly captured order; `order`: a new order to capture; `shared`:
    the one refund every read looks at), and the body to send."""

    state: str
    json: dict[str, Any] | None = None
    csv: str | None = None


@dataclass
class Answer:
    response: httpx.Response
    stored: bool  # whether the event store grew across the call


class Desk:
    """The running server as the matrix sees it: a client per actor, bad tokens, fresh
    refunds, and calls that tell whether the event store grew."""

    def __init__(self, server: Server, stack: ExitStack) -> None:
        self.server = server
        self.stack = stack
        self.newest_event = stack.enter_context(event_log(server.database_url))
        self._clients: dict[str | None, httpx.Client] = {}
        self._bad: dict[tuple[str, str], str] = {}

    def client(self, actor: str | None = None) -> httpx.Client:
        """One client per actor (None: no token), kept for the whole test."""
        if actor not in self._clients:
            self._clients[actor] = self.stack.enter_context(self.server.client(actor))
        return self._clients[actor]

    def bad_token(self, kind: str, would_be: str) -> str:
        """A token of `kind` (see BAD_TOKENS but no-token); revoked and expired tokens stand
        for `would_be`, an actor the cell would otherwise allow."""
        if kind == "malformed":
            return "nonsense"
        if kind == "unknown":  # the shape of a real token, never issued
            return f"rlk_{secrets.token_hex(8)}_{secrets.token_urlsafe(32)}"
        if (kind, would_be) not in self._bad:
            issue = {"revoked": self.server.revoked_token, "expired": self.server.expired_token}
            self._bad[kind, would_be] = issue[kind](would_be)
        return self._bad[kind, would_be]

    def request_body(
        self,
        customer: str = "C-1",
        amount: str = "100.00",
        order_total: str = "1000.00",
        reason: str = "billing_error",
    ) -> dict[str, Any]:
        """A request on an order of its own (the order's refundable balance is never shared)."""
        return {
            "order_id": f"O-{uuid.uuid4().hex[:12]}",  # desks share a session's server
            "customer_id": customer,
            "amount": amount,
            "currency": "EUR",
            "order_total": order_total,
            "reason": reason,
        }

    @staticmethod
    def order_of(request: dict[str, Any]) -> dict[str, Any]:
        """The order a request body is about, as `POST /orders` takes it."""
        return {
            "order_id": request["order_id"],
            "customer_id": request["customer_id"],
            "total": request["order_total"],
            "currency": request["currency"],
        }

    def act(self, actor: str, path: str, body: dict[str, Any], status: int = 200) -> Any:
        """A set-up step that must succeed."""
        response = self.client(actor).post(path, json=body)
        assert response.status_code == status, f"set-up {actor} POST {path}: {response.text}"
        return response.json()

    def fresh(self, state: str, by: str = INTAKE, **request: str) -> str:
        """A new refund (of customer C-1 unless told) in `state`, reached through the API.

        100.00 for `billing_error`: verified at once, above automatic approval, within a
        manager's authority; `damaged` goods come back, so that request waits for a verifier.
        """
        reason = "damaged" if state == "requested" else "billing_error"
        refund = self.act(by, "/refunds", self.request_body(reason=reason, **request), 201)
        path = f"/refunds/{refund['id']}"
        if state in ("approved", "payout_pending", "disputed"):
            refund = self.act(APPROVER, f"{path}/approvals", {})
        if state == "payout_pending":
            refund = self.act(PAYER, f"{path}/payouts", {})
        if state == "disputed":
            refund = self.act(INTAKE, f"{path}/disputes", {"reason": "the customer objects"})
        assert refund["status"] == state, f"set-up reached {refund['status']}, not {state}"
        return str(refund["id"])

    def send(
        self, actor: str | None, endpoint: str, call: Call, refund: str | None, token: str = ""
    ) -> Answer:
        """Call `endpoint` ("METHOD /path/{id}") on `refund` as `actor`, or with `token` (on
        the client without one); a request is for a new order."""
        method, path = endpoint.split(" ", 1)
        path = path.replace("{id}", refund or "")
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        body = call.json
        if call.state == "new":  # a request on an order the shop captured (customers need one)
            body = self.request_body()
            self.act(INTAKE, "/orders", self.order_of(body), 201)
        elif call.state == "order":
            body = self.order_of(self.request_body())
        client = self.client(actor)  # before the count: issuing its token stores an event
        before = self.newest_event()
        if call.csv is not None:
            headers["Content-Type"] = "text/csv"
            response = client.request(method, path, content=call.csv, headers=headers)
        else:
            response = client.request(method, path, json=body, headers=headers)
        return Answer(response, self.newest_event() > before)


def mismatches(
    where: str, answer: Answer, status: int, code: str | None, mutates: bool
) -> list[str]:
    """What is wrong with one cell's answer: its status; for a command done, that it was
    stored; for a refusal, the problem document, the 401 challenge, and that nothing was."""
    response = answer.response
    if response.status_code != status:
        return [f"{where}: expected {status}, got {response.status_code}: {response.text[:300]}"]
    if status < 400:
        done = answer.stored or not mutates
        return [] if done else [f"{where}: answered {status} but stored nothing"]
    found: list[str] = []
    if answer.stored:
        found.append(f"{where}: refused with {status} but an event was stored")
    media = response.headers.get("content-type", "").split(";")[0]
    if media != PROBLEM_JSON:
        return [*found, f"{where}: {status} answered as {media!r}, not {PROBLEM_JSON}"]
    problem = response.json()
    if problem.get("status") != status or problem.get("code") != code:
        found.append(f"{where}: expected status {status} and code {code}, got {problem}")
    if not str(problem.get("type", "")).endswith(f":{code}"):
        found.append(f"{where}: problem type {problem.get('type')!r} does not name {code}")
    if status == 401 and not response.headers.get("www-authenticate", "").startswith("Bearer"):
        found.append(f"{where}: 401 without a WWW-Authenticate: Bearer challenge")
    return found
