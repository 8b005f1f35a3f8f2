"""Cancellation: any status before a payout starts, by the customer or staff."""

from __future__ import annotations

from decimal import Decimal

from ledger.domain import payloads as e
from ledger.domain.errors import IllegalTransition, RefundError, RoleNotAllowed

from .builders import (
    DISPUTES,
    FINANCE,
    MANAGER,
    POLICY,
    actor,
    approved_refund,
    at,
    new_refund,
    paid_refund,
    paying_refund,
    payload,
    pending_refund,
    refused,
)


def test_requested_refund_can_be_cancelled() -> None:
    refund = new_refund("200.00", reason="damaged")

    refund.cancel(actor("agent:alice"), "customer found the parcel", POLICY, at(1))

    assert refund.status == "cancelled"
    assert refund.reserved_amount() == Decimal(0)
    cancelled = payload(refund, e.RefundCancelled)
    assert (cancelled.actor, cancelled.reason) == ("agent:alice", "customer found the parcel")


def test_customer_can_cancel_own_pending_refund() -> None:
    refund = pending_refund("200.00")

    refund.cancel(actor("customer:C-1"), "not needed", POLICY, at(1))

    assert refund.status == "cancelled"
    assert refund.pending_since is None


def test_approved_refund_can_be_cancelled_before_payout() -> None:
    refund = approved_refund("200.00")

    refund.cancel(actor(FINANCE), "paid by cheque instead", POLICY, at(2))

    assert refund.status == "cancelled"
    assert refund.reserved_amount() == Decimal(0)


def test_customer_cannot_cancel_another_customers_refund() -> None:
    refund = pending_refund("200.00")

    with refused(refund, RoleNotAllowed, "customer:c-2 may not cancel a refund for customer c-1"):
        refund.cancel(actor("customer:c-2"), "mine now", POLICY, at(1))


def test_cannot_cancel_after_payout_started() -> None:
    refund = paying_refund("200.00")

    with refused(refund, IllegalTransition, "cannot cancel a refund that is payout_pending"):
        refund.cancel(actor(FINANCE), "too late", POLICY, at(3))


def test_cannot_cancel_after_a_failed_payout() -> None:
    refund = paying_refund("200.00")
    refund.fail_payout(actor(FINANCE), "account closed", None, POLICY, at(3))

    with refused(refund, IllegalTransition, "cannot cancel a refund that is payout_failed"):
        refund.cancel(actor(FINANCE), "give up", POLICY, at(4))


def test_cannot_cancel_a_paid_refund() -> None:
    refund = paid_refund("200.00")

    with refused(refund, IllegalTransition, "cannot cancel a refund that is paid"):
        refund.cancel(actor(FINANCE), "oops", POLICY, at(4))


def test_cannot_cancel_an_overturned_refund_that_was_partly_paid() -> None:
    refund = pending_refund("300.00")
    refund.approve(actor(MANAGER), Decimal("100.00"), None, POLICY, at(1))
    refund.start_payout(actor(FINANCE), None, POLICY, at(2))
    refund.settle_payout(actor(FINANCE), "PSP-1", POLICY, at(3))
    refund.open_dispute(actor("customer:c-1"), "want the rest", POLICY, at(4))
    refund.resolve_dispute(actor(DISPUTES), "overturned", Decimal("300.00"), "ok", POLICY, at(5))
    assert refund.status == "approved"

    with refused(refund, RefundError, "has payouts already; it cannot be cancelled"):
        refund.cancel(actor(FINANCE), "never mind", POLICY, at(6))


def test_cannot_cancel_a_rejected_refund() -> None:
    refund = pending_refund("200.00")
    refund.reject(actor(MANAGER), "no", POLICY, at(1))

    with refused(refund, IllegalTransition, "cannot cancel a refund that is rejected"):
        refund.cancel(actor("agent:alice"), "withdraw", POLICY, at(2))


def test_cannot_cancel_twice() -> None:
    refund = pending_refund("200.00")
    refund.cancel(actor("agent:alice"), "withdraw", POLICY, at(1))

    with refused(refund, IllegalTransition, "cannot cancel a refund that is cancelled"):
        refund.cancel(actor("agent:alice"), "withdraw again", POLICY, at(2))


def test_verifier_cannot_cancel() -> None:
    refund = new_refund("200.00", reason="damaged")

    with refused(refund, RoleNotAllowed, "verifier:vic may not cancel a refund"):
        refund.cancel(actor("verifier:vic"), "no parcel", POLICY, at(1))


def test_auditor_cannot_cancel() -> None:
    refund = pending_refund("200.00")

    with refused(refund, RoleNotAllowed, "auditor:ann may not cancel a refund"):
        refund.cancel(actor("auditor:ann"), "audit", POLICY, at(1))
