"""Every lifecycle path of docs/product.md §2.1 over HTTP on both back ends, and the reads
around them.

One `ledger serve` per back end for the module; every test works on refunds of its own.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import pytest

from .http_paths import (
    assert_problem,
    capture_order,
    days_ago,
    fresh,
    fresh_request,
    get,
    post,
)
from .http_support import Server
from .support import Ledger

DECIMAL = re.compile(r"^\d+\.\d{2}$")


@pytest.fixture
def server(http_server: Server) -> Server:
    """The session's server on each back end in turn."""
    return http_server


@pytest.fixture(scope="module")
def clients(http_server: Server) -> Iterator[dict[str, httpx.Client]]:
    """Clients by actor, made on first use and closed with the module."""
    made: dict[str, httpx.Client] = {}

    class Clients(dict[str, httpx.Client]):
        def __missing__(self, actor: str) -> httpx.Client:
            made[actor] = self[actor] = http_server.client(actor)
            return made[actor]

    yield Clients()
    for client in made.values():
        client.close()


def history(client: httpx.Client, rid: str) -> list[dict[str, Any]]:
    return list(get(client, f"/refunds/{rid}/history"))


def steps(events: list[dict[str, Any]]) -> list[tuple[str, str | None]]:
    return [(event["type"], event["actor"]) for event in events]


def pending(clients: dict[str, httpx.Client], amount: str = "200.00", **extra: Any) -> str:
    refund = post(clients["agent:ann"], "/refunds", fresh_request(amount=amount, **extra), 201)
    assert (refund["status"], refund["tier"]) == ("pending_approval", "manager"), refund
    return str(refund["id"])


# --- approval paths ---


def test_small_request_is_approved_automatically_then_paid(
    clients: dict[str, httpx.Client],
) -> None:
    agent, finance = clients["agent:ann"], clients["finance:fay"]
    refund = post(agent, "/refunds", fresh_request(amount="30.00"), 201)
    rid = refund["id"]
    assert (refund["status"], refund["approved_amount"], refund["paid_amount"]) == (
        "approved",
        "30.00",
        None,
    )
    assert (refund["requested_amount"], refund["version"], refund["last_rule"]) == (
        "30.00",
        3,
        "auto_approval",
    )

    started = post(finance, f"/refunds/{rid}/payouts", {"method": "bank_transfer"})
    assert (started["status"], started["payout_attempt"], started["version"]) == (
        "payout_pending",
        1,
        4,
    )
    paid = post(finance, f"/refunds/{rid}/payouts/settlement", {"reference": fresh("PSP")})
    assert (paid["status"], paid["paid_amount"], paid["version"]) == ("paid", "30.00", 5)

    assert steps(history(agent, rid)) == [
        ("Requested", "agent:ann"),
        ("Verified", "system:policy"),
        ("Approved", "system:policy"),
        ("PayoutStarted", "finance:fay"),
        ("PayoutSettled", "finance:fay"),
    ]
    assert get(agent, f"/refunds/{rid}") == paid


def test_returned_goods_are_verified_approved_by_a_manager_and_paid(
    clients: dict[str, httpx.Client],
) -> None:
    body = fresh_request(reason="damaged", amount="80.00", purchased_on=days_ago(3))
    capture_order(clients["system:shop"], body)
    refund = post(clients["customer:" + body["customer_id"].lower()], "/refunds", body, 201)
    rid = refund["id"]
    assert refund["status"] == "requested"

    verified = post(
        clients["verifier:vic"], f"/refunds/{rid}/verification", {"condition": "box dented"}
    )
    assert (verified["status"], verified["tier"]) == ("pending_approval", "manager")
    approved = post(clients["manager:bob"], f"/refunds/{rid}/approvals", {"note": "fine"})
    assert (approved["status"], approved["approved_amount"]) == ("approved", "80.00")
    post(clients["finance:fay"], f"/refunds/{rid}/payouts", {})
    paid = post(clients["finance:fay"], f"/refunds/{rid}/payouts/settlement", {"reference": "R"})
    assert (paid["status"], paid["paid_amount"]) == ("paid", "80.00")

    events = history(clients["auditor:aud"], rid)
    assert steps(events) == [
        ("Requested", "customer:" + body["customer_id"].lower()),
        ("Verified", "verifier:vic"),
        ("RoutedForApproval", "system:policy"),
        ("Approved", "manager:bob"),
        ("PayoutStarted", "finance:fay"),
        ("PayoutSettled", "finance:fay"),
    ]
    assert (events[1]["condition"], events[1]["passed"]) == ("box dented", True)
    assert [e["version"] for e in events] == list(range(1, 7)) and paid["version"] == 6


def test_failed_verification_rejects_the_request(clients: dict[str, httpx.Client]) -> None:
    body = fresh_request(reason="defective", amount="40.00", purchased_on=days_ago(2))
    rid = post(clients["agent:ann"], "/refunds", body, 201)["id"]

    failed = post(
        clients["verifier:vic"], f"/refunds/{rid}/verification", {"fail_reason": "box empty"}
    )

    assert (failed["status"], failed["approved_amount"]) == ("rejected", None)
    events = history(clients["agent:ann"], rid)
    assert steps(events)[-2:] == [("Verified", "verifier:vic"), ("Rejected", "system:policy")]
    inspection = [f for f in events[-2]["findings"] if f["check"] == "inspection"]
    assert inspection == [{"check": "inspection", "passed": False, "detail": "box empty"}]


def test_manager_rejects_a_pending_refund(clients: dict[str, httpx.Client]) -> None:
    rid = pending(clients)

    rejected = post(clients["manager:bob"], f"/refunds/{rid}/rejection", {"reason": "no proof"})

    assert (rejected["status"], rejected["approved_amount"]) == ("rejected", None)
    last = history(clients["manager:bob"], rid)[-1]
    assert (last["type"], last["actor"], last["reason"]) == ("Rejected", "manager:bob", "no proof")


def test_escalation_moves_the_refund_to_the_finance_tier(clients: dict[str, httpx.Client]) -> None:
    rid = pending(clients)

    escalated = post(clients["manager:bob"], f"/refunds/{rid}/escalation", {"reason": "unsure"})
    assert (escalated["status"], escalated["tier"]) == ("pending_approval", "finance")

    by_manager = clients["manager:mia"].post(f"/refunds/{rid}/approvals", json={})
    assert_problem(by_manager, 403, "authority-exceeded")
    approved = post(clients["finance:fay"], f"/refunds/{rid}/approvals", {})
    assert (approved["status"], approved["approved_amount"]) == ("approved", "200.00")
    assert steps(history(clients["finance:fay"], rid))[-2:] == [
        ("Escalated", "manager:bob"),
        ("Approved", "finance:fay"),
    ]


def test_dual_control_above_5000_needs_two_different_finance_approvers(
    clients: dict[str, httpx.Client],
) -> None:
    body = fresh_request(amount="6000.00", order_total="9000.00")
    refund = post(clients["agent:ann"], "/refunds", body, 201)
    rid = refund["id"]
    assert (refund["tier"], refund["approvals_required"]) == ("finance", 2)

    first = post(clients["finance:fay"], f"/refunds/{rid}/approvals", {})
    assert (first["status"], first["approvals"]) == ("pending_approval", ["finance:fay"])
    again = clients["finance:fay"].post(f"/refunds/{rid}/approvals", json={})
    assert "different person" in assert_problem(again, 403, "separation-of-duties")["detail"]
    assert get(clients["finance:fay"], f"/refunds/{rid}")["version"] == first["version"]

    second = post(clients["finance:fred"], f"/refunds/{rid}/approvals", {})
    assert (second["status"], second["approved_amount"]) == ("approved", "6000.00")
    last = history(clients["finance:fred"], rid)[-1]
    assert (last["type"], last["approvers"]) == ("Approved", ["finance:fay", "finance:fred"])


# --- cancellation and payouts ---


def test_cancellation_stops_payouts_and_frees_the_order(clients: dict[str, httpx.Client]) -> None:
    body = fresh_request(amount="200.00")
    rid = post(clients["agent:ann"], "/refunds", body, 201)["id"]

    cancelled = post(clients["agent:ann"], f"/refunds/{rid}/cancellation", {"reason": "mistake"})

    assert cancelled["status"] == "cancelled"
    refused = clients["finance:fay"].post(f"/refunds/{rid}/payouts", json={})
    assert_problem(refused, 409, "illegal-transition")
    again = post(clients["agent:ann"], "/refunds", body, 201)
    assert again["status"] == "pending_approval"  # the order's 200.00 is refundable again


def test_payout_fails_then_the_retry_settles(clients: dict[str, httpx.Client]) -> None:
    finance = clients["finance:fay"]
    rid = post(clients["agent:ann"], "/refunds", fresh_request(), 201)["id"]

    started = post(finance, f"/refunds/{rid}/payouts", {"method": "store_credit"})
    assert (started["status"], started["payout_attempt"]) == ("payout_pending", 1)
    failed = post(finance, f"/refunds/{rid}/payouts/failure", {"reason": "card expired"})
    assert (failed["status"], failed["paid_amount"]) == ("payout_failed", None)
    retried = post(finance, f"/refunds/{rid}/payouts", {})
    assert (retried["status"], retried["payout_attempt"]) == ("payout_pending", 2)
    settled = post(finance, f"/refunds/{rid}/payouts/settlement", {"reference": "PSP-9"})

    assert (settled["status"], settled["paid_amount"]) == ("paid", "30.00")
    events = history(finance, rid)
    assert [e["type"] for e in events][-4:] == [
        "PayoutStarted",
        "PayoutFailed",
        "PayoutStarted",
        "PayoutSettled",
    ]
    assert (events[-4]["method"], events[-3]["reason"], events[-1]["reference"]) == (
        "store_credit",
        "card expired",
        "PSP-9",
    )


# --- disputes ---


def test_overturned_dispute_on_a_paid_refund_pays_only_the_difference(
    clients: dict[str, httpx.Client],
) -> None:
    finance = clients["finance:fay"]
    rid = pending(clients)
    post(clients["manager:bob"], f"/refunds/{rid}/approvals", {"amount": "150.00"})
    post(finance, f"/refunds/{rid}/payouts", {})
    post(finance, f"/refunds/{rid}/payouts/settlement", {"reference": "PSP-1"})

    opened = post(clients["disputes:dan"], f"/refunds/{rid}/disputes", {"reason": "all of it"})
    assert opened["status"] == "disputed"
    resolved = post(
        clients["disputes:dora"],
        f"/refunds/{rid}/disputes/resolution",
        {"outcome": "overturned", "amount": "200.00", "rationale": "full refund is due"},
    )
    assert (resolved["status"], resolved["approved_amount"], resolved["paid_amount"]) == (
        "approved",
        "200.00",
        "150.00",
    )
    post(finance, f"/refunds/{rid}/payouts", {})
    paid = post(finance, f"/refunds/{rid}/payouts/settlement", {"reference": "PSP-2"})

    assert (paid["status"], paid["paid_amount"]) == ("paid", "200.00")
    payouts = [e["amount"] for e in history(finance, rid) if e["type"] == "PayoutStarted"]
    assert payouts == ["150.00", "50.00"]


def test_upheld_dispute_keeps_the_rejection_and_the_decider_cannot_resolve_it(
    clients: dict[str, httpx.Client],
) -> None:
    rid = pending(clients)
    post(clients["manager:bob"], f"/refunds/{rid}/rejection", {"reason": "outside policy"})
    post(clients["agent:ann"], f"/refunds/{rid}/disputes", {"reason": "customer insists"})

    resolution = {"outcome": "upheld", "rationale": "I stand by it"}
    by_decider = clients["disputes:bob"].post(
        f"/refunds/{rid}/disputes/resolution", json=resolution
    )
    assert_problem(by_decider, 403, "separation-of-duties")
    assert get(clients["agent:ann"], f"/refunds/{rid}")["status"] == "disputed"

    upheld = post(
        clients["disputes:dora"],
        f"/refunds/{rid}/disputes/resolution",
        {"outcome": "upheld", "rationale": "policy applied correctly"},
    )
    assert (upheld["status"], upheld["approved_amount"]) == ("rejected", None)
    last = history(clients["agent:ann"], rid)[-1]
    assert (last["actor"], last["outcome"]) == ("disputes:dora", "upheld")


def test_note_adds_an_event_and_changes_nothing_else(clients: dict[str, httpx.Client]) -> None:
    rid = pending(clients)
    before = get(clients["agent:ann"], f"/refunds/{rid}")

    after = post(clients["agent:ann"], f"/refunds/{rid}/notes", {"text": "called back"})

    assert after["version"] == before["version"] + 1
    unchanged = ("version", "updated_at")
    assert {k: v for k, v in after.items() if k not in unchanged} == {
        k: v for k, v in before.items() if k not in unchanged
    }
    last = history(clients["agent:ann"], rid)[-1]
    assert (last["type"], last["actor"], last["text"]) == ("NoteAdded", "agent:ann", "called back")


# --- reads ---


def test_as_of_between_two_events_gives_the_earlier_state(
    clients: dict[str, httpx.Client],
) -> None:
    reader = clients["auditor:aud"]
    rid = pending(clients)
    before = get(reader, f"/refunds/{rid}")
    post(clients["manager:bob"], f"/refunds/{rid}/approvals", {})
    events = history(reader, rid)
    requested_at = datetime.fromisoformat(events[before["version"] - 1]["at"])
    approved_at = datetime.fromisoformat(events[-1]["at"])
    between = requested_at + (approved_at - requested_at) / 2

    then = get(reader, f"/refunds/{rid}", as_of=between.isoformat())

    assert then == before
    elsewhere = between.astimezone(timezone(timedelta(hours=2))).isoformat()
    assert get(reader, f"/refunds/{rid}", as_of=elsewhere) == before
    assert get(reader, f"/refunds/{rid}")["status"] == "approved"
    too_early = reader.get(f"/refunds/{rid}", params={"as_of": "2000-01-01T00:00:00Z"})
    assert_problem(too_early, 404, "refund-not-found")


def test_list_filters_and_pages_cover_every_refund_exactly_once(
    clients: dict[str, httpx.Client],
) -> None:
    agent, reader = clients["agent:ann"], clients["auditor:aud"]
    customer = fresh("C")
    made = [
        post(agent, "/refunds", fresh_request(customer_id=customer, amount=amount), 201)
        for amount in ("10.00", "200.00", "11.00", "12.00", "13.00")
    ]  # the 200.00 waits; the fourth request flags the customer: it waits as well
    ids = [refund["id"] for refund in made]

    def listed(**params: Any) -> list[str]:
        return [row["id"] for row in get(reader, "/refunds", customer=customer, **params)]

    assert listed() == ids
    waiting = [r["id"] for r in made if r["status"] == "pending_approval"]
    assert waiting and listed(status="pending_approval") == waiting
    assert listed(order=made[2]["order_id"]) == [ids[2]]
    assert listed(status="paid") == []

    walked: list[str] = []
    url: str | None = f"/refunds?customer={customer}&limit=2"
    pages = 0
    while url is not None:
        response = reader.get(url)
        assert response.status_code == 200, response.text
        page = [row["id"] for row in response.json()]
        walked += page
        pages += 1
        link = response.headers.get("link")
        if link is None:
            assert "x-next-cursor" not in response.headers
            url = None
        else:
            assert response.headers["x-next-cursor"] == page[-1]
            url = re.fullmatch(r'<([^>]+)>; rel="next"', link).group(1)  # type: ignore[union-attr]
    assert walked == ids and pages == 3


def test_audit_search_finds_events_by_actor_and_type(clients: dict[str, httpx.Client]) -> None:
    manager = f"manager:{fresh('quinn')}"
    first, second = pending(clients), pending(clients)
    post(clients[manager], f"/refunds/{first}/approvals", {})
    post(clients[manager], f"/refunds/{second}/rejection", {"reason": "duplicate"})

    found = get(clients["auditor:aud"], "/audit/search", actor=manager)
    approvals = get(clients["auditor:aud"], "/audit/search", actor=manager, type="Approved")

    assert [(e["refund_id"], e["type"]) for e in found] == [
        (first, "Approved"),
        (second, "Rejected"),
    ]
    assert all(e["actor"] == manager for e in found)
    assert [e["refund_id"] for e in approvals] == [first]


def test_kpis_count_the_refunds_made_and_their_decisions(
    clients: dict[str, httpx.Client],
) -> None:
    reader = clients["finance:fay"]
    before = get(reader, "/reports/kpis")
    post(clients["agent:ann"], "/refunds", fresh_request(), 201)  # approved automatically
    approved, rejected = pending(clients), pending(clients)
    post(clients["manager:bob"], f"/refunds/{approved}/approvals", {})
    post(clients["manager:bob"], f"/refunds/{rejected}/rejection", {"reason": "no"})
    pending(clients)

    after = get(reader, "/reports/kpis")

    assert after["refunds"] - before["refunds"] == 4
    change = {k: after["decisions"][k] - before["decisions"][k] for k in after["decisions"]}
    assert change == {
        "approved_automatically": 1,
        "approved_by_people": 1,
        "rejected": 1,
        "undecided": 1,
    }


def test_reconciliation_matches_a_settled_payout_and_wants_csv(
    clients: dict[str, httpx.Client],
) -> None:
    finance, reference = clients["finance:fay"], fresh("PAY")
    rid = post(clients["agent:ann"], "/refunds", fresh_request(amount="30.00"), 201)["id"]
    post(finance, f"/refunds/{rid}/payouts", {})
    post(finance, f"/refunds/{rid}/payouts/settlement", {"reference": reference})
    csv = f"reference,amount,currency,status,settled_at\r\n{reference},30.00,EUR,settled,"
    csv += "2026-11-01T10:00:00Z\r\n"

    response = finance.post(
        "/reconciliations", content=csv.encode(), headers={"Content-Type": "text/csv"}
    )

    assert response.status_code == 200, response.text
    matched = response.json()["matched"]
    assert [(m["reference"], m["line"], m["refund_id"]) for m in matched] == [(reference, 2, rid)]
    as_json = finance.post("/reconciliations", json={"reference": reference})
    assert_problem(as_json, 415, "unsupported-media-type")


def test_http_bodies_equal_the_cli_json_of_the_same_refund(
    server: Server, clients: dict[str, httpx.Client], tmp_path: Any
) -> None:
    rid = pending(clients)
    post(clients["manager:bob"], f"/refunds/{rid}/approvals", {"note": "ok"})
    post(clients["finance:fay"], f"/refunds/{rid}/payouts", {})
    cli = Ledger(server.database_url, tmp_path)

    shown = get(clients["auditor:aud"], f"/refunds/{rid}")
    events = history(clients["auditor:aud"], rid)

    assert shown == cli.show(rid)
    assert events == cli.history(rid)
    assert all(DECIMAL.match(shown[k]) for k in ("requested_amount", "approved_amount"))
