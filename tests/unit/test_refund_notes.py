"""Notes: free text on the record, changing nothing but the version."""

from __future__ import annotations

from ledger.domain import events as e
from ledger.domain.errors import RoleNotAllowed

from .builders import POLICY, actor, at, paid_refund, payload, pending_refund, refused


def test_note_is_recorded_without_changing_the_refund() -> None:
    refund = pending_refund("200.00")
    status, version = refund.status, refund.version

    refund.add_note(actor("agent:amy"), "customer called again", POLICY, at(1))

    assert refund.status == status
    assert refund.version == version + 1
    note = payload(refund, e.NoteAdded)
    assert (note.actor, note.text) == ("agent:amy", "customer called again")


def test_note_can_be_added_after_the_refund_is_paid() -> None:
    refund = paid_refund("200.00")

    refund.add_note(actor("finance:fay"), "reconciled", POLICY, at(5))

    assert refund.status == "paid"
    assert payload(refund, e.NoteAdded).text == "reconciled"


def test_customer_can_note_own_refund() -> None:
    refund = pending_refund("200.00")

    refund.add_note(actor("customer:c-1"), "photo sent by email", POLICY, at(1))

    assert payload(refund, e.NoteAdded).actor == "customer:c-1"


def test_customer_cannot_note_another_customers_refund() -> None:
    refund = pending_refund("200.00")

    with refused(refund, RoleNotAllowed, "customer:c-2 may not add a note for customer c-1"):
        refund.add_note(actor("customer:c-2"), "hello", POLICY, at(1))


def test_auditor_cannot_add_a_note() -> None:
    refund = pending_refund("200.00")

    with refused(refund, RoleNotAllowed, "auditor:ann may not add a note"):
        refund.add_note(actor("auditor:ann"), "looked at it", POLICY, at(1))
