"""Notes: free text on the record, changing nothing but the version; internal (staff only)
or marked for the customer."""

from __future__ import annotations

import pytest

from ledger.domain import payloads as e
from ledger.domain.errors import InvalidInput, RoleNotAllowed

from .builders import POLICY, actor, at, event_types, paid_refund, payload, pending_refund, refused


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


def test_a_staff_note_is_internal_unless_marked_for_the_customer() -> None:
    refund = pending_refund("200.00")

    refund.add_note(actor("agent:amy"), "checked the parcel log", POLICY, at(1))
    refund.add_note(actor("agent:amy"), "same again", POLICY, at(2), "internal")
    refund.add_note(actor("agent:amy"), "we have your parcel", POLICY, at(3), "customer")

    assert event_types(refund)[-3:] == ["NoteAdded", "NoteAdded", "CustomerNoteAdded"]
    marked = payload(refund, e.CustomerNoteAdded)
    assert (marked.actor, marked.text) == ("agent:amy", "we have your parcel")


def test_a_customers_own_note_is_marked_for_the_customer() -> None:
    refund = pending_refund("200.00")

    refund.add_note(actor("customer:c-1"), "photo sent by email", POLICY, at(1))
    refund.add_note(actor("customer:c-1"), "and a second one", POLICY, at(2), "customer")

    assert event_types(refund)[-2:] == ["CustomerNoteAdded", "CustomerNoteAdded"]
    assert payload(refund, e.CustomerNoteAdded).actor == "customer:c-1"


def test_a_customer_cannot_add_an_internal_note() -> None:
    refund = pending_refund("200.00")

    with refused(refund, RoleNotAllowed, "customer:c-1 may not add an internal note"):
        refund.add_note(actor("customer:c-1"), "for staff eyes", POLICY, at(1), "internal")


@pytest.mark.parametrize("who", ["agent:amy", "customer:c-1"])
def test_an_unknown_note_visibility_is_refused(who: str) -> None:
    refund = pending_refund("200.00")

    with refused(refund, InvalidInput, "invalid note visibility 'public': use internal or"):
        refund.add_note(actor(who), "hello", POLICY, at(1), "public")  # type: ignore[arg-type]


def test_customer_cannot_note_another_customers_refund() -> None:
    refund = pending_refund("200.00")

    with refused(refund, RoleNotAllowed, "customer:c-2 may not add a note for customer c-1"):
        refund.add_note(actor("customer:c-2"), "hello", POLICY, at(1), "customer")


def test_auditor_cannot_add_a_note() -> None:
    refund = pending_refund("200.00")

    with refused(refund, RoleNotAllowed, "auditor:ann may not add a note"):
        refund.add_note(actor("auditor:ann"), "looked at it", POLICY, at(1))
