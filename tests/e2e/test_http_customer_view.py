"""Issue 12, part 3: a customer reads its refunds through the customer view, over HTTP and
through the CLI's `--actor`, on a real `ledger serve` on both back ends.

The refunds are set up by staff: one flagged by the fraud rules (a request of 90% of the
order), verified with a condition text, noted internally and for the customer, approved by
a manager with a note; one rejected with a reason. The customer's answers are checked as raw
text, so that no key or value leaks in any form.
"""

from __future__ import annotations

import json
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from .http_paths import assert_problem, fresh, get, post
from .http_support import Server, last_event_id
from .support import Ledger

AGENT, VERIFIER, MANAGER = "agent:ignatius", "verifier:vivienne", "manager:quentin"
INTERNAL = "repeat claimant, check the address"
FOR_CUSTOMER = "we received your parcel"
REJECTION = "no proof of purchase"
CONDITION = "dented box, seal broken"
HIDDEN_KEYS = (
    "rule", "last_rule", "policy_version", "tier", "approvals_required", "approvals",
    "fingerprint", "idempotency_key", "condition", "findings", "detail", "address", "note",
    "payout_attempt",
)  # fmt: skip


@dataclass(frozen=True)
class Refunds:
    customer: str  # the customer's actor, e.g. customer:c-0a1b2c3d4e
    approved: str
    rejected: str
    secrets: tuple[str, ...]  # texts and values only staff may read


@pytest.fixture
def refunds(http_server: Server) -> Refunds:
    with ExitStack() as stack:
        client = {a: stack.enter_context(http_server.client(a)) for a in (AGENT, VERIFIER, MANAGER)}
        customer = fresh("C")
        approved = _request(client[AGENT], customer, "900.00", "damaged")
        path = f"/refunds/{approved['id']}"
        post(client[VERIFIER], f"{path}/verification", {"condition": CONDITION})
        post(client[MANAGER], f"{path}/notes", {"text": INTERNAL})
        post(client[AGENT], f"{path}/notes", {"text": FOR_CUSTOMER, "visibility": "customer"})
        done = post(client[MANAGER], f"{path}/approvals", {"note": "quentin's call: fine"})
        assert (done["status"], done["flags"]) == ("approved", ["fraud.refund_to_order_ratio"])
        rejected = _request(client[AGENT], customer, "100.00", "billing_error")
        post(client[MANAGER], f"/refunds/{rejected['id']}/rejection", {"reason": REJECTION})
        staff = get(client[MANAGER], f"{path}/history")
    requested = staff[0]
    secrets = (
        "ignatius", "vivienne", "quentin", "fraud", "90%", CONDITION, INTERNAL,
        "agent's remark", requested["policy_version"], requested["fingerprint"],
        requested["idempotency_key"],
    )  # fmt: skip
    return Refunds(f"customer:{customer.lower()}", approved["id"], rejected["id"], secrets)


def test_a_customer_reads_no_flag_policy_internal_note_or_staff_name(
    http_server: Server, refunds: Refunds
) -> None:
    with http_server.client(refunds.customer) as customer:
        bodies = {
            "show": customer.get(f"/refunds/{refunds.approved}"),
            "history": customer.get(f"/refunds/{refunds.approved}/history"),
            "rejected": customer.get(f"/refunds/{refunds.rejected}/history"),
            "list": customer.get("/refunds"),
        }

    for name, response in bodies.items():
        assert response.status_code == 200, f"{name}: {response.text}"
        _assert_hidden(response.text, refunds.secrets, name)
    shown = bodies["show"].json()
    assert (shown["status"], shown["flags"], shown["requested_by"]) == ("approved", [], "agent")
    assert shown["approved_amount"] == "900.00"
    history = bodies["history"].json()
    assert [(e["type"], e["actor"]) for e in history] == [
        ("Requested", "agent"),
        ("Verified", "verifier"),
        ("RoutedForApproval", "system"),
        ("CustomerNoteAdded", "agent"),
        ("Approved", "manager"),
    ]
    assert (history[1]["passed"], history[3]["text"]) == (True, FOR_CUSTOMER)
    assert history[3]["visibility"] == "customer"
    assert history[-1]["approvers"] == ["manager"]
    assert bodies["rejected"].json()[-1]["reason"] == REJECTION
    listed = bodies["list"].json()
    assert [r["id"] for r in listed] == [refunds.approved, refunds.rejected]
    assert listed[0] == shown


def test_staff_still_read_everything(http_server: Server, refunds: Refunds) -> None:
    with http_server.client("auditor:aud") as auditor:
        shown = get(auditor, f"/refunds/{refunds.approved}")
        text = auditor.get(f"/refunds/{refunds.approved}/history").text

    assert shown["flags"] == ["fraud.refund_to_order_ratio"]
    assert (shown["requested_by"], shown["approvals_required"]) == (AGENT, 1)
    for secret in refunds.secrets:
        assert secret in text, secret
    events = json.loads(text)
    notes = [(e["type"], e["visibility"]) for e in events if e["type"].endswith("NoteAdded")]
    assert notes == [("NoteAdded", "internal"), ("CustomerNoteAdded", "customer")]


def test_the_cli_shows_a_customer_what_the_api_shows_it(
    http_server: Server, refunds: Refunds, tmp_path: Path
) -> None:
    cli = Ledger(http_server.database_url, tmp_path)
    reader = ("--actor", refunds.customer)
    with http_server.client(refunds.customer) as customer:
        for command, path in (
            (("show", refunds.approved), f"/refunds/{refunds.approved}"),
            (("history", refunds.approved), f"/refunds/{refunds.approved}/history"),
            (("history", refunds.rejected), f"/refunds/{refunds.rejected}/history"),
            (("list",), "/refunds"),
        ):
            assert cli.ok(*command, *reader) == get(customer, path), command
    with http_server.client(MANAGER) as manager:
        assert cli.ok("show", refunds.approved) == get(manager, f"/refunds/{refunds.approved}")


def test_another_customer_finds_neither_refund_through_the_cli(
    http_server: Server, refunds: Refunds, tmp_path: Path
) -> None:
    cli = Ledger(http_server.database_url, tmp_path)

    for command in ("show", "history"):
        outcome = cli.run(command, refunds.approved, "--actor", "customer:c-somebody-else")
        assert outcome.code == 1, outcome.describe()
        assert outcome.stderr == f"error: refund {refunds.approved} not found\n"
    assert cli.ok("list", "--actor", "customer:c-somebody-else") == []


def test_a_customers_commands_answer_with_the_customer_view(
    http_server: Server, refunds: Refunds
) -> None:
    with http_server.client(refunds.customer) as customer:
        noted = customer.post(f"/refunds/{refunds.approved}/notes", json={"text": "thanks!"})
        disputed = customer.post(
            f"/refunds/{refunds.rejected}/disputes", json={"reason": "I sent the receipt"}
        )
        cancelled = customer.post(
            f"/refunds/{refunds.approved}/cancellation", json={"reason": "found it after all"}
        )
        history = get(customer, f"/refunds/{refunds.rejected}/history")

    for response in (noted, disputed, cancelled):
        assert response.status_code == 200, response.text
        _assert_hidden(response.text, refunds.secrets, str(response.url))
        assert response.json()["flags"] == []
    assert cancelled.json()["status"] == "cancelled"
    own = history[-1]
    assert (own["type"], own["actor"], own["reason"]) == (
        "DisputeOpened",
        refunds.customer,
        "I sent the receipt",
    )


def test_a_customers_note_is_for_the_customer_and_cannot_be_internal(
    http_server: Server, refunds: Refunds
) -> None:
    path = f"/refunds/{refunds.approved}/notes"
    with http_server.client(refunds.customer) as customer:
        before = last_event_id(http_server.database_url)
        internal = customer.post(path, json={"text": "for staff", "visibility": "internal"})
        unknown = customer.post(path, json={"text": "hello", "visibility": "public"})
        unchanged = last_event_id(http_server.database_url) == before
        post(customer, path, {"text": "my own note"})
        history = get(customer, f"/refunds/{refunds.approved}/history")

    problem = assert_problem(internal, 403, "role-not-allowed")
    assert problem["detail"].startswith(f"{refunds.customer} may not add an internal note")
    assert_problem(unknown, 422, "invalid-input")
    assert unchanged
    last = history[-1]
    assert (last["type"], last["actor"], last["text"], last["visibility"]) == (
        "CustomerNoteAdded",
        refunds.customer,
        "my own note",
        "customer",
    )


def _request(client: httpx.Client, customer: str, amount: str, reason: str) -> dict[str, Any]:
    body = {
        "order_id": fresh("O"),
        "customer_id": customer,
        "amount": amount,
        "currency": "EUR",
        "order_total": "1000.00",
        "reason": reason,
        "note": "agent's remark: ignatius knows this customer",
    }
    response = client.post("/refunds", json=body, headers={"Idempotency-Key": fresh("key")})
    assert response.status_code == 201, response.text
    found: dict[str, Any] = response.json()
    return found


def _assert_hidden(text: str, secrets: tuple[str, ...], where: str) -> None:
    for secret in secrets:
        assert secret not in text and json.dumps(secret)[1:-1] not in text, f"{where}: {secret}"
    for key in HIDDEN_KEYS:
        assert f'"{key}"' not in text, f"{where}: {key}"
