"""The customer view: an allow-list of the refund's keys and, per event type, of its payload
keys. Deny by default: a key or an event type nobody listed is not shown to a customer."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from uuid import uuid4

import pytest

from api.models import CustomerEventOut, CustomerRefundOut, RefundOut
from ledger.app.access import STAFF
from ledger.app.customer_view import (
    EVENT_KEYS,
    REFUND_KEYS,
    customer_history,
    shown_payload_keys,
)
from ledger.app.presenters import event_out, history_view, refund_out, refund_view
from ledger.domain import payloads as e
from ledger.domain.refund import Refund
from ledger.domain.refund_events import CHAINED_EVENTS
from ledger.projections import trail
from ledger.projections.base import Fact

from .builders import (
    POLICY,
    T0,
    actor,
    at,
    new_refund,
    pending_refund,
    request_payload,
    verify,
)

CUSTOMER = actor("customer:c-1")
BASE = set(EVENT_KEYS)
REQUEST_KEYS = {
    "order_id", "customer_id", "amount", "currency", "order_total", "reason", "channel",
    "method", "purchased_on",
}  # fmt: skip
# What a customer sees of each event type, acted on by staff (None: the event is left out).
SHOWN: dict[str, set[str] | None] = {
    "Requested": BASE | REQUEST_KEYS,
    "Flagged": None,
    "Verified": BASE | {"passed"},
    "RoutedForApproval": BASE,
    "ApprovalRecorded": None,
    "Approved": BASE | {"amount", "approvers"},
    "Rejected": BASE | {"reason"},
    "Escalated": None,
    "SlaBreached": None,
    "Cancelled": BASE,
    "PayoutStarted": BASE | {"method", "amount"},
    "PayoutSettled": BASE | {"amount"},
    "PayoutFailed": BASE,
    "DisputeOpened": BASE | {"previous_status"},
    "DisputeResolved": BASE | {"outcome", "rationale", "amount", "previous_status"},
    "NoteAdded": None,
    "CustomerNoteAdded": BASE | {"text", "visibility"},
    "OverturnRouted": BASE | {"rationale", "amount"},
    "OverturnRejected": BASE | {"reason"},
}


def staff_refunds() -> list[Refund]:
    """Refunds through every event type, every step taken by a staff member (or the policy),
    with the texts a customer must not read: a flag's detail, a verifier's condition, internal
    notes, approval and escalation notes, payout references and failure texts."""
    dual = new_refund("6000.00", reason="damaged", order_total="20000.00")
    dual.flag("fraud.refunds_per_customer", "4 refunds in 30 days (limit 3)", POLICY, at(0))
    verify(dual, by="verifier:vic", condition="box dented, seal broken")
    dual.add_note(actor("manager:mia"), "looks like a repeat claimant", POLICY, at(1))
    dual.add_note(actor("agent:ann"), "we have your parcel", POLICY, at(1), "customer")
    dual.approve(actor("finance:fay"), None, "first of two, checked the bank", POLICY, at(2))
    dual.approve(actor("finance:fred"), None, "second, ok", POLICY, at(3))
    dual.start_payout(actor("finance:flo"), None, POLICY, at(4))
    dual.fail_payout(actor("finance:flo"), "IBAN closed at PSP", "PSP-FAIL-9", POLICY, at(5))
    dual.start_payout(actor("finance:flo"), "bank_transfer", POLICY, at(6))
    dual.settle_payout(actor("finance:flo"), "PSP-REF-7", POLICY, at(7))
    dual.open_dispute(actor("agent:ann"), "agent thinks it was short", POLICY, at(8))
    dual.resolve_dispute(actor("disputes:dan"), "upheld", None, "paid as agreed", POLICY, at(9))
    overdue = pending_refund("200.00")
    overdue.sweep_sla(POLICY, at(49))
    overdue.sweep_sla(POLICY, at(98))
    rejected = pending_refund()
    rejected.reject(actor("manager:mia"), "no proof of purchase", POLICY, at(1))
    cancelled = pending_refund()
    cancelled.cancel(actor("agent:ann"), "duplicate of another ticket", POLICY, at(1))
    overturned = pending_refund("3000.00")
    overturned.reject(actor("finance:fred"), "no proof of purchase", POLICY, at(1))
    overturned.open_dispute(actor("agent:ann"), "receipt found", POLICY, at(2))
    overturned.resolve_dispute(
        actor("disputes:dan"), "overturned", Decimal("3000.00"), "the receipt is genuine",
        POLICY, at(3),
    )  # fmt: skip
    overturned.reject(actor("finance:fay"), "the receipt's shop is not ours", POLICY, at(4))
    return [dual, overdue, rejected, cancelled, overturned]


def staff_events() -> list[dict[str, Any]]:
    return [event_out(event) for refund in staff_refunds() for event in refund.pending_events]


def test_every_event_type_has_a_decided_customer_view() -> None:
    assert set(SHOWN) == {cls.__name__ for cls in CHAINED_EVENTS}
    assert {event["type"] for event in staff_events()} == set(SHOWN)


@pytest.mark.parametrize("kind", sorted(SHOWN))
def test_a_customer_sees_of_each_event_type_only_its_listed_keys(kind: str) -> None:
    events = [event for event in staff_events() if event["type"] == kind]
    shown = customer_history(events, CUSTOMER)

    if SHOWN[kind] is None:
        assert shown == []
    else:
        assert shown and all(set(event) == SHOWN[kind] for event in shown)


def test_a_customers_history_names_staff_by_role_and_hides_their_texts() -> None:
    dual = staff_refunds()[0]
    seen = history_view(dual.pending_events, CUSTOMER)
    text = repr(seen)

    for secret in (
        *(f"{role}:" for role in STAFF), "4 refunds", "dented", "repeat claimant",
        "checked the bank", "second, ok", "IBAN", "PSP-", "short", "fingerprint",
        POLICY.version, "fraud.", "dual_control", "verification.", "policy_version",
    ):  # fmt: skip
        assert secret not in text
    roles = {event["actor"] for event in seen}
    assert roles == {"agent", "verifier", "system", "finance", "disputes"}
    approved = next(event for event in seen if event["type"] == "Approved")
    assert approved["approvers"] == ["finance", "finance"]
    assert "we have your parcel" in text and "paid as agreed" in text


def test_a_customer_keeps_the_refunds_versions_and_sees_a_gap_where_events_are_left_out() -> None:
    dual = staff_refunds()[0]

    versions = [event["version"] for event in history_view(dual.pending_events, CUSTOMER)]

    assert versions[:3] == [1, 3, 4]  # 2 is the fraud flag
    assert versions == sorted(versions)


def test_a_customer_sees_its_own_texts_and_itself_as_the_actor() -> None:
    request = request_payload(reason="damaged", requester="customer:c-1", customer_id="C-1")
    request = request.model_copy(update={"note": "the parcel was wet"})
    refund = Refund.open(uuid4(), CUSTOMER, request, POLICY, T0)
    verify(refund, by="verifier:vic", condition="wet")
    refund.add_note(CUSTOMER, "photos attached", POLICY, at(1))
    refund.cancel(CUSTOMER, "bought it in a shop instead", POLICY, at(2))

    seen = history_view(refund.pending_events, CUSTOMER)

    assert [(event["type"], event["actor"]) for event in seen] == [
        ("Requested", "customer:c-1"),
        ("Verified", "verifier"),
        ("RoutedForApproval", "system"),
        ("CustomerNoteAdded", "customer:c-1"),
        ("Cancelled", "customer:c-1"),
    ]
    assert seen[0]["note"] == "the parcel was wet"
    assert (seen[3]["text"], seen[3]["visibility"]) == ("photos attached", "customer")
    assert seen[4]["reason"] == "bought it in a shop instead"
    assert refund_view(refund, CUSTOMER)["requested_by"] == "customer:c-1"


def test_a_customer_sees_the_reason_of_its_own_dispute_but_not_of_a_staff_one() -> None:
    ours, theirs = pending_refund(), pending_refund()
    for refund in (ours, theirs):
        refund.reject(actor("manager:mia"), "outside the policy", POLICY, at(1))
    ours.open_dispute(CUSTOMER, "it was inside the window", POLICY, at(2))
    theirs.open_dispute(actor("agent:ann"), "agent thinks so too", POLICY, at(2))

    mine = history_view(ours.pending_events, CUSTOMER)[-1]
    staff = history_view(theirs.pending_events, CUSTOMER)[-1]

    assert (mine["type"], mine["reason"]) == ("DisputeOpened", "it was inside the window")
    assert staff["type"] == "DisputeOpened" and "reason" not in staff


def test_a_customers_note_stored_before_notes_had_a_visibility_is_its_own_to_see() -> None:
    legacy = {"version": 4, "type": "NoteAdded", "actor": "customer:c-1", "at": "x"}
    staff = {**legacy, "actor": "agent:ann"}

    seen = customer_history([{**legacy, "text": "mine"}, {**staff, "text": "internal"}], CUSTOMER)

    assert seen == [{**legacy, "text": "mine"}]  # no visibility key was in the input


def test_a_payload_field_nobody_listed_is_not_shown_to_a_customer() -> None:
    class Grown(e.RefundApproved):  # the payload of a future Approved, with a new field
        risk_score: str

    class Approved:  # an event of that type, as the store would give it
        originator_version = 5
        timestamp = T0
        payload = Grown(
            actor="manager:mia",
            policy_version=POLICY.version,
            rule="approval.manual",
            amount="100.00",
            approvers=("manager:mia",),
            risk_score="0.93 (high)",
        )

    staff = event_out(Approved())
    seen = history_view([Approved()], CUSTOMER)

    assert staff["risk_score"] == "0.93 (high)"
    assert seen == [
        {"version": 5, "type": "Approved", "actor": "manager", "at": T0.isoformat(),
         "amount": "100.00", "approvers": ["manager"]}
    ]  # fmt: skip


def test_an_event_type_nobody_listed_is_left_out_of_a_customers_history() -> None:
    new = {"version": 2, "type": "RiskScored", "actor": "system:policy", "at": "x", "score": 1}

    assert customer_history([new], CUSTOMER) == []


def test_a_customer_sees_no_flags_no_policy_and_staff_by_role_in_the_refund() -> None:
    refund = staff_refunds()[0]
    staff = refund_out(refund)

    seen = refund_view(refund, CUSTOMER)

    assert staff["flags"] == ["fraud.refunds_per_customer"]
    assert set(seen) == set(REFUND_KEYS)
    assert seen["flags"] == [] and seen["requested_by"] == "agent"
    for hidden in ("tier", "approvals_required", "approvals", "last_rule", "payout_attempt"):
        assert hidden not in seen
    assert {key: seen[key] for key in REFUND_KEYS if key not in ("flags", "requested_by")} == {
        key: staff[key] for key in REFUND_KEYS if key not in ("flags", "requested_by")
    }


def test_a_refund_key_nobody_listed_is_not_shown_to_a_customer() -> None:
    row = {**refund_out(new_refund()), "risk_score": "0.93", "fingerprint": "abc"}

    seen = refund_view(row, CUSTOMER)

    assert "risk_score" not in seen and "fingerprint" not in seen
    assert refund_view(row, actor("agent:ann")) == row  # the staff view is the row itself


@pytest.mark.parametrize("viewer", [None, "agent:ann", "manager:mia", "auditor:aud"])
def test_staff_and_the_operator_see_everything(viewer: str | None) -> None:
    refund = staff_refunds()[0]
    who = None if viewer is None else actor(viewer)

    assert refund_view(refund, who) == refund_out(refund)
    events = list(refund.pending_events)
    assert history_view(events, who) == [event_out(event) for event in events]


def test_every_note_says_its_visibility_in_the_staff_history() -> None:
    notes = [event for event in staff_events() if event["type"].endswith("NoteAdded")]

    assert [(n["type"], n["visibility"]) for n in notes] == [
        ("NoteAdded", "internal"),
        ("CustomerNoteAdded", "customer"),
    ]


def test_the_decision_trail_lists_and_summarises_notes_for_the_customer() -> None:
    refund = pending_refund()
    refund.add_note(actor("agent:ann"), "we have your parcel", POLICY, at(1), "customer")
    noted = refund.pending_events[-1]

    row = dict(zip(trail.COLUMNS, trail._row(Fact(7, noted)), strict=True))

    assert "CustomerNoteAdded" in trail.EVENT_TYPES
    assert (row["type"], row["actor"]) == ("CustomerNoteAdded", "agent:ann")
    assert row["summary"] == "text=we have your parcel"


def test_the_response_models_hold_exactly_what_a_customer_is_shown() -> None:
    assert tuple(CustomerRefundOut.model_fields) == REFUND_KEYS
    assert set(CustomerEventOut.model_fields) == BASE | set(shown_payload_keys())


def test_every_customer_answer_fits_the_customer_models_and_no_staff_answer_does() -> None:
    for refund in staff_refunds():
        CustomerRefundOut.model_validate(refund_view(refund, CUSTOMER))
        RefundOut.model_validate(refund_out(refund))
        with pytest.raises(ValueError, match="Extra inputs are not permitted"):
            CustomerRefundOut.model_validate(refund_out(refund))
        for event in history_view(refund.pending_events, CUSTOMER):
            CustomerEventOut.model_validate(event)
