"""Issue 5: every endpoint against every principal, on a real `ledger serve`, on both back ends.

`MATRIX` is the one table of expected statuses. Its command rows restate the policy's
[permissions] (ledger/default_policy.toml), its read rows `ledger.app.access.READERS`
(/metrics too: the server runs without --public-metrics).
Every command cell acts on a fresh refund of customer C-1, brought through the API into the
state in which that command is legal, so the answer is about who acts, never about the
state: done (2xx, stored), refused for the role (403), or, to another customer, a refund that
does not exist (404). A customer asking for a refund for another customer is refused (403):
there is no refund yet to hide. Every refusal is a problem document and stores nothing.
`DUTIES` adds the cells about authority and separation of duties (same person: same NAME).
"""

from __future__ import annotations

from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from .authz_support import BAD_TOKENS, INTAKE, Call, Desk, mismatches
from .http_support import running_server

ACTORS = {
    "customer-own": "customer:c-1",  # the refunds' customer is C-1
    "customer-other": "customer:c-2",
    "agent": "agent:ann",
    "verifier": "verifier:vic",
    "manager": "manager:mia",
    "finance": "finance:fay",
    "disputes": "disputes:dan",
    "auditor": "auditor:aud",
    "system": "system:sys",
}
PRINCIPALS = (*ACTORS, *BAD_TOKENS)

# fmt: off
MATRIX_ROWS: dict[str, tuple[int, ...]] = {
    #                                         cust. cust.                                           no    mal-  un-   re-   ex-
    #                                         own   other agent verif mgr   fin   disp. audit sys   token formd known voked pired
    "POST /refunds":                         (201,  403,  201,  403,  403,  403,  403,  403,  201,  401,  401,  401,  401,  401),
    "POST /orders":                          (403,  403,  201,  403,  403,  201,  403,  403,  201,  401,  401,  401,  401,  401),
    "POST /refunds/{id}/verification":       (403,  404,  403,  200,  403,  403,  403,  403,  200,  401,  401,  401,  401,  401),
    "POST /refunds/{id}/approvals":          (403,  404,  403,  403,  200,  200,  403,  403,  403,  401,  401,  401,  401,  401),
    "POST /refunds/{id}/rejection":          (403,  404,  403,  403,  200,  200,  403,  403,  403,  401,  401,  401,  401,  401),
    "POST /refunds/{id}/escalation":         (403,  404,  200,  403,  200,  200,  403,  403,  200,  401,  401,  401,  401,  401),
    "POST /refunds/{id}/cancellation":       (200,  404,  200,  403,  200,  200,  403,  403,  403,  401,  401,  401,  401,  401),
    "POST /refunds/{id}/payouts":            (403,  404,  403,  403,  403,  200,  403,  403,  403,  401,  401,  401,  401,  401),
    "POST /refunds/{id}/payouts/settlement": (403,  404,  403,  403,  403,  200,  403,  403,  403,  401,  401,  401,  401,  401),
    "POST /refunds/{id}/payouts/failure":    (403,  404,  403,  403,  403,  200,  403,  403,  403,  401,  401,  401,  401,  401),
    "POST /refunds/{id}/disputes":           (200,  404,  200,  403,  403,  403,  200,  403,  403,  401,  401,  401,  401,  401),
    "POST /refunds/{id}/disputes/resolution":(403,  404,  403,  403,  403,  403,  200,  403,  403,  401,  401,  401,  401,  401),
    "POST /refunds/{id}/notes":              (200,  404,  200,  200,  200,  200,  200,  403,  200,  401,  401,  401,  401,  401),
    "GET /refunds/{id}":                     (200,  404,  200,  200,  200,  200,  200,  200,  200,  401,  401,  401,  401,  401),
    "GET /refunds/{id}/history":             (200,  404,  200,  200,  200,  200,  200,  200,  200,  401,  401,  401,  401,  401),
    "GET /refunds":                          (200,  200,  200,  200,  200,  200,  200,  200,  200,  401,  401,  401,  401,  401),
    "GET /audit/search":                     (403,  403,  403,  403,  200,  200,  200,  200,  403,  401,  401,  401,  401,  401),
    "GET /reports/kpis":                     (403,  403,  403,  403,  200,  200,  403,  200,  403,  401,  401,  401,  401,  401),
    "POST /reconciliations":                 (403,  403,  403,  403,  403,  200,  403,  200,  403,  401,  401,  401,  401,  401),
    "GET /healthz":                          (200,  200,  200,  200,  200,  200,  200,  200,  200,  200,  200,  200,  200,  200),
    "GET /metrics":                          (403,  403,  403,  403,  403,  403,  403,  200,  200,  401,  401,  401,  401,  401),
    "GET /openapi.json":                     (200,  200,  200,  200,  200,  200,  200,  200,  200,  200,  200,  200,  200,  200),
}
# fmt: on
MATRIX = {
    endpoint: dict(zip(PRINCIPALS, row, strict=True)) for endpoint, row in MATRIX_ROWS.items()
}
CODES = {401: "invalid-token", 403: "role-not-allowed", 404: "refund-not-found"}

SETTLEMENTS = "reference,amount,currency,status,settled_at\nPSP-1,100.00,EUR,settled,2026-11-01\n"
UPHELD = {"outcome": "upheld", "rationale": "the decision stands"}
# fmt: off
CALLS: dict[str, Call] = {  # the state each endpoint's fresh refund is brought into, the body
    "POST /refunds":                          Call("new"),  # a new order each time
    "POST /orders":                           Call("order"),  # a new order each time
    "POST /refunds/{id}/verification":        Call("requested", {"condition": "as new"}),
    "POST /refunds/{id}/approvals":           Call("pending_approval", {}),
    "POST /refunds/{id}/rejection":           Call("pending_approval", {"reason": "not covered"}),
    "POST /refunds/{id}/escalation":          Call("pending_approval", {"reason": "a 2nd look"}),
    "POST /refunds/{id}/cancellation":        Call("pending_approval", {"reason": "asked to"}),
    "POST /refunds/{id}/payouts":             Call("approved", {}),
    "POST /refunds/{id}/payouts/settlement":  Call("payout_pending", {"reference": "PSP-1"}),
    "POST /refunds/{id}/payouts/failure":     Call("payout_pending", {"reason": "account closed"}),
    "POST /refunds/{id}/disputes":            Call("approved", {"reason": "too little"}),
    "POST /refunds/{id}/disputes/resolution": Call("disputed", UPHELD),
    "POST /refunds/{id}/notes":               Call("requested", {"text": "called back"}),
    "GET /refunds/{id}":                      Call("shared"),
    "GET /refunds/{id}/history":              Call("shared"),
    "GET /refunds":                           Call("shared"),
    "GET /audit/search":                      Call("shared"),
    "GET /reports/kpis":                      Call("shared"),
    "POST /reconciliations":                  Call("shared", csv=SETTLEMENTS),
    "GET /healthz":                           Call("shared"),
    "GET /metrics":                           Call("shared"),
    "GET /openapi.json":                      Call("shared"),
}
# fmt: on


@dataclass(frozen=True)
class Step:
    actor: str
    command: str  # a key of CALLS
    status: int
    code: str | None = None


@dataclass(frozen=True)
class Duty:
    """A refund of customer C-9 pending approval (or as `state` says), then steps in order."""

    amount: str
    steps: tuple[Step, ...]
    requester: str = INTAKE
    state: str = "pending_approval"


APPROVE, REJECT = "POST /refunds/{id}/approvals", "POST /refunds/{id}/rejection"
RESOLVE = "POST /refunds/{id}/disputes/resolution"
DUTIES: dict[str, Duty] = {
    "a manager may approve up to 1,000.00; 2,000.00 needs finance": Duty(
        "2000.00",
        (
            Step("manager:mia", APPROVE, 403, "authority-exceeded"),
            Step("finance:fay", APPROVE, 200),
        ),
    ),
    "nobody approves or rejects their own request, in any role": Duty(
        "100.00",
        (
            Step("manager:sam", APPROVE, 403, "separation-of-duties"),
            Step("finance:sam", REJECT, 403, "separation-of-duties"),
            Step("manager:mia", APPROVE, 200),
        ),
        requester="agent:sam",
    ),
    "the two approvals above 5,000.00 come from two people": Duty(
        "6000.00",
        (
            Step("finance:fay", APPROVE, 200),
            Step("finance:fay", APPROVE, 403, "separation-of-duties"),
            Step("finance:fred", APPROVE, 200),
        ),
    ),
    "a dispute is resolved by someone other than the decider": Duty(
        "100.00",
        (
            # manager:max approved it in the set-up (authz_support.APPROVER)
            Step("disputes:max", RESOLVE, 403, "separation-of-duties"),
            Step("disputes:dan", RESOLVE, 200),
        ),
        state="disputed",
    ),
}


def test_every_endpoint_answers_every_principal_as_the_rules_say(
    database_url: str, tmp_path: Path
) -> None:
    with running_server(database_url, tmp_path) as server, ExitStack() as stack:
        desk = Desk(server, stack)
        shared = desk.fresh("pending_approval")
        desk.fresh("pending_approval", customer="C-2")
        failures = [
            *_matrix(desk, shared),
            *_duties(desk),
            *_refused_before_the_order_is_read(desk),
            *_customers_list_their_own(desk),
        ]
    assert not failures, f"{len(failures)} cells are wrong:\n" + "\n".join(failures)


def _matrix(desk: Desk, shared: str) -> list[str]:
    failures: list[str] = []
    for endpoint, expected in MATRIX.items():
        call = CALLS[endpoint]
        would_be = ACTORS[next(p for p in ACTORS if expected[p] < 400)]
        for principal, status in expected.items():
            refund = _refund_for(desk, call, shared)
            if principal in ACTORS:
                answer = desk.send(ACTORS[principal], endpoint, call, refund)
            elif principal == "no-token":
                answer = desk.send(None, endpoint, call, refund)
            else:
                token = desk.bad_token(principal, would_be)
                answer = desk.send(None, endpoint, call, refund, token)
            mutates = endpoint.startswith(("POST /refunds", "POST /orders"))
            where = f"{endpoint} as {principal}"
            failures += mismatches(where, answer, status, CODES.get(status), mutates)
    return failures


def _refund_for(desk: Desk, call: Call, shared: str) -> str | None:
    if call.state in ("new", "order"):
        return None
    return shared if call.state == "shared" else desk.fresh(call.state)


def _duties(desk: Desk) -> list[str]:
    failures: list[str] = []
    for what, duty in DUTIES.items():
        refund = desk.fresh(
            duty.state, by=duty.requester, customer="C-9", amount=duty.amount,
            order_total="10000.00",
        )  # fmt: skip
        for step in duty.steps:
            answer = desk.send(step.actor, step.command, CALLS[step.command], refund)
            where = f"{what}: {step.actor} {step.command}"
            failures += mismatches(where, answer, step.status, step.code, mutates=True)
    return failures


def _refused_before_the_order_is_read(desk: Desk) -> list[str]:
    """Whoever may not make a request learns nothing of the order it names (its total)."""
    order = desk.request_body()
    desk.act(INTAKE, "/refunds", order, 201)
    probe = Call("given", {**order, "order_total": "1.00", "amount": "1.00"})
    failures: list[str] = []
    for actor in ("customer:c-2", "auditor:aud"):
        answer = desk.send(actor, "POST /refunds", probe, None)
        where = f"POST /refunds as {actor} naming C-1's order with a wrong total"
        failures += mismatches(where, answer, 403, "role-not-allowed", mutates=True)
    return failures


def _customers_list_their_own(desk: Desk) -> list[str]:
    """GET /refunds as a customer lists that customer's refunds only, whatever it asks for."""
    seen: dict[str, set[str]] = {}
    for actor, query in [
        ("customer:c-1", {}),
        ("customer:c-2", {}),
        ("customer:c-2", {"customer": "C-1"}),
        ("manager:mia", {}),
    ]:
        listed = desk.client(actor).get("/refunds", params={"limit": 1000, **query}).json()
        seen[f"{actor} {query}"] = {refund["customer_id"] for refund in listed}
    expected = {
        "customer:c-1 {}": {"C-1"},
        "customer:c-2 {}": {"C-2"},
        "customer:c-2 {'customer': 'C-1'}": set(),
        "manager:mia {}": {"C-1", "C-2", "C-9"},
    }
    return [f"GET /refunds as {who} listed {seen[who]}, not {expected[who]}"
            for who in expected if seen[who] != expected[who]]  # fmt: skip
