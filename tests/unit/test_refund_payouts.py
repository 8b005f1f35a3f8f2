"""Payouts: started and recorded by finance, retried after a failure."""

from __future__ import annotations

from decimal import Decimal

from ledger.domain import payloads as e
from ledger.domain.errors import IllegalTransition, InvalidDecision, RoleNotAllowed

from .builders import (
    FINANCE,
    MANAGER,
    POLICY,
    actor,
    approved_refund,
    at,
    paid_refund,
    paying_refund,
    payload,
    pending_refund,
    refused,
)


def test_finance_starts_a_payout_of_the_approved_amount() -> None:
    refund = approved_refund("200.00", method="store_credit")

    refund.start_payout(actor(FINANCE), None, POLICY, at(2))

    assert refund.status == "payout_pending"
    started = payload(refund, e.PayoutStarted)
    assert (started.attempt, started.amount, started.method) == (
        1,
        Decimal("200.00"),
        "store_credit",
    )


def test_payout_method_can_be_chosen_at_start() -> None:
    refund = approved_refund("200.00")

    refund.start_payout(actor(FINANCE), "bank_transfer", POLICY, at(2))

    assert payload(refund, e.PayoutStarted).method == "bank_transfer"


def test_settled_payout_marks_the_refund_paid() -> None:
    refund = paying_refund("200.00")

    refund.settle_payout(actor(FINANCE), "  PSP-42 ", POLICY, at(3))

    assert refund.status == "paid"
    assert refund.paid_amount == Decimal("200.00")
    settled = payload(refund, e.PayoutSettled)
    assert (settled.reference, settled.amount, settled.attempt) == ("PSP-42", Decimal("200.00"), 1)


def test_settled_payout_needs_a_reference() -> None:
    refund = paying_refund("200.00")

    with refused(refund, InvalidDecision, "needs the provider's reference"):
        refund.settle_payout(actor(FINANCE), "   ", POLICY, at(3))


def test_failed_payout_records_the_reason() -> None:
    refund = paying_refund("200.00")

    refund.fail_payout(actor(FINANCE), "account closed", "PSP-9", POLICY, at(3))

    assert refund.status == "payout_failed"
    assert refund.paid_amount is None
    failed = payload(refund, e.PayoutFailed)
    assert (failed.attempt, failed.reason, failed.reference) == (1, "account closed", "PSP-9")


def test_failed_payout_can_be_retried_as_a_new_attempt() -> None:
    refund = paying_refund("200.00")
    refund.fail_payout(actor(FINANCE), "account closed", None, POLICY, at(3))

    refund.start_payout(actor(FINANCE), "bank_transfer", POLICY, at(4))
    refund.settle_payout(actor(FINANCE), "PSP-2", POLICY, at(5))

    assert refund.status == "paid"
    assert refund.paid_amount == Decimal("200.00")
    retry = payload(refund, e.PayoutStarted, -2)
    assert (retry.attempt, retry.amount) == (2, Decimal("200.00"))
    assert payload(refund, e.PayoutSettled).attempt == 2


def test_cannot_settle_payout_that_was_not_started() -> None:
    refund = approved_refund("200.00")

    with refused(refund, IllegalTransition, "cannot settle a payout for a refund that is approved"):
        refund.settle_payout(actor(FINANCE), "PSP-1", POLICY, at(2))


def test_cannot_fail_payout_that_was_not_started() -> None:
    refund = approved_refund("200.00")

    with refused(refund, IllegalTransition, "cannot fail a payout for a refund that is approved"):
        refund.fail_payout(actor(FINANCE), "bounced", None, POLICY, at(2))


def test_cannot_settle_a_failed_payout() -> None:
    refund = paying_refund("200.00")
    refund.fail_payout(actor(FINANCE), "bounced", None, POLICY, at(3))

    with refused(refund, IllegalTransition, "it must be payout_pending"):
        refund.settle_payout(actor(FINANCE), "PSP-1", POLICY, at(4))


def test_cannot_start_payout_before_approval() -> None:
    refund = pending_refund("200.00")

    with refused(refund, IllegalTransition, "cannot start a payout for a refund that is pending"):
        refund.start_payout(actor(FINANCE), None, POLICY, at(1))


def test_cannot_start_a_second_payout_while_one_is_pending() -> None:
    refund = paying_refund("200.00")

    with refused(refund, IllegalTransition, "that is payout_pending; it must be approved"):
        refund.start_payout(actor(FINANCE), None, POLICY, at(3))


def test_paid_refund_cannot_be_paid_again() -> None:
    refund = paid_refund("200.00")

    with refused(refund, IllegalTransition, "cannot start a payout for a refund that is paid"):
        refund.start_payout(actor(FINANCE), None, POLICY, at(4))


def test_manager_cannot_start_a_payout() -> None:
    refund = approved_refund("200.00")

    with refused(
        refund, RoleNotAllowed, "manager:mia may not record payouts; this needs one of: finance"
    ):
        refund.start_payout(actor(MANAGER), None, POLICY, at(2))


def test_manager_cannot_record_a_settlement() -> None:
    refund = paying_refund("200.00")

    with refused(refund, RoleNotAllowed, "manager:mia may not record payouts"):
        refund.settle_payout(actor(MANAGER), "PSP-1", POLICY, at(3))


def test_auditor_cannot_start_a_payout() -> None:
    refund = approved_refund("200.00")

    with refused(refund, RoleNotAllowed, "auditor:ann may not record payouts"):
        refund.start_payout(actor("auditor:ann"), None, POLICY, at(2))


def test_auditor_cannot_fail_a_payout() -> None:
    refund = paying_refund("200.00")

    with refused(refund, RoleNotAllowed, "auditor:ann may not record payouts"):
        refund.fail_payout(actor("auditor:ann"), "bounced", None, POLICY, at(3))
