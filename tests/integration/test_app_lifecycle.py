"""Every path of the refund lifecycle (docs/product.md §2.1), on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from ledger.app.service import RefundLedger
from ledger.domain.actor import Actor
from ledger.domain.errors import (
    AmountExceedsRefundable,
    AuthorityExceeded,
    IllegalTransition,
    RefundError,
    SeparationOfDuties,
)
from ledger.domain.order import OrderBalance
from ledger.domain.refund import Refund

from .support import (
    AGENT,
    FINANCE,
    FINANCE_2,
    MANAGER,
    VERIFIER,
    FakeClock,
    event_types,
    form,
)


def goods_request(app: RefundLedger, clock: FakeClock, amount: str, total: str) -> Refund:
    """A `damaged` request bought five days ago: it waits for a verifier."""
    purchased = str(clock.now.date() - timedelta(days=5))
    return app.request(
        AGENT, form(amount=amount, order_total=total, reason="damaged", purchased_on=purchased)
    )


def pending(app: RefundLedger, clock: FakeClock, amount: str, total: str) -> Refund:
    refund = goods_request(app, clock, amount, total)
    return app.verify(refund.id, VERIFIER, "sealed box", None)


def refundable(app: RefundLedger, order_id: str = "O-1") -> Decimal:
    order: OrderBalance = app.repository.get(OrderBalance.id_for(order_id))
    return order.refundable()


def test_small_refund_without_returned_goods_is_approved_automatically(
    app: RefundLedger,
) -> None:
    refund = app.request(AGENT, form(amount="30.00"))

    stored = app.get(refund.id)
    assert stored.status == "approved"
    assert stored.approved_amount == Decimal("30.00")
    assert stored.last_rule == "auto_approval"
    assert event_types(app, stored) == ["Requested", "Verified", "Approved"]
    assert refundable(app) == Decimal("70.00")


def test_returned_goods_wait_for_verifier_then_manager_approves(
    app: RefundLedger, clock: FakeClock
) -> None:
    refund = goods_request(app, clock, "700.00", "900.00")
    assert app.get(refund.id).status == "requested"

    verified = app.verify(refund.id, VERIFIER, "sealed box", None)
    assert (verified.status, verified.tier) == ("pending_approval", "manager")

    approved = app.approve(refund.id, MANAGER, None, "looks fine")
    assert approved.status == "approved"
    assert approved.approved_amount == Decimal("700.00")
    assert app.get(refund.id).last_rule == "approval.manual"
    assert event_types(app, approved) == ["Requested", "Verified", "RoutedForApproval", "Approved"]


def test_refund_above_manager_limit_waits_for_finance(app: RefundLedger, clock: FakeClock) -> None:
    refund = pending(app, clock, "2000.00", "3000.00")
    assert refund.tier == "finance"

    with pytest.raises(AuthorityExceeded, match="finance tier; manager may not approve"):
        app.approve(refund.id, MANAGER, None, None)
    assert app.approve(refund.id, FINANCE, None, None).status == "approved"


def test_dual_control_needs_two_different_people(app: RefundLedger, clock: FakeClock) -> None:
    refund = pending(app, clock, "6000.00", "8000.00")
    assert refund.approvals_required == 2

    first = app.approve(refund.id, FINANCE, None, None)
    assert first.status == "pending_approval"
    with pytest.raises(SeparationOfDuties, match="the second must come from a different person"):
        app.approve(refund.id, FINANCE, None, None)

    second = app.approve(refund.id, FINANCE_2, None, None)
    assert second.status == "approved"
    assert app.get(refund.id).last_rule == "approval.dual_control"
    assert [a.actor for a in second.approvals] == [str(FINANCE)]
    assert event_types(app, second)[-2:] == ["ApprovalRecorded", "Approved"]


def test_refund_above_ten_thousand_needs_two_finance_approvals(
    app: RefundLedger, clock: FakeClock
) -> None:
    refund = pending(app, clock, "12000.00", "20000.00")
    assert (refund.tier, refund.approvals_required) == ("finance", 2)

    with pytest.raises(AuthorityExceeded):
        app.approve(refund.id, MANAGER, None, None)
    assert app.approve(refund.id, FINANCE, None, None).status == "pending_approval"
    approved = app.approve(refund.id, FINANCE_2, None, None)
    assert approved.status == "approved"
    assert approved.approved_amount == Decimal("12000.00")


def test_manager_rejects_and_the_order_balance_is_released(
    app: RefundLedger, clock: FakeClock
) -> None:
    refund = pending(app, clock, "700.00", "900.00")
    assert refundable(app) == Decimal("200.00")

    with pytest.raises(SeparationOfDuties, match="somebody else must reject it"):
        app.reject(refund.id, Actor.parse("manager:ann"), "own request")
    rejected = app.reject(refund.id, MANAGER, "no proof of purchase")

    assert rejected.status == "rejected"
    assert app.get(refund.id).last_rule == "rejection.manual"
    assert refundable(app) == Decimal("900.00")


def test_failed_inspection_rejects_with_the_rule_that_failed(
    app: RefundLedger, clock: FakeClock
) -> None:
    refund = goods_request(app, clock, "700.00", "900.00")

    rejected = app.verify(refund.id, VERIFIER, None, "box was empty")

    assert rejected.status == "rejected"
    assert rejected.last_rule == "verification.inspection"
    verified, decision = app.history(refund.id)[-2:]
    assert verified.payload.passed is False
    assert (decision.payload.actor, decision.payload.reason) == ("system:policy", "box was empty")
    assert refundable(app) == Decimal("900.00")


def test_request_outside_return_window_is_rejected_at_request_time(
    app: RefundLedger, clock: FakeClock
) -> None:
    old = str(clock.now.date() - timedelta(days=45))

    refund = app.request(AGENT, form(reason="price_adjustment", purchased_on=old))

    assert refund.status == "rejected"
    assert refund.last_rule == "verification.return_window"
    assert "window 30 days" in app.history(refund.id)[-1].payload.reason


def test_manual_escalation_moves_to_next_tier_and_stops_at_the_top(
    app: RefundLedger, clock: FakeClock
) -> None:
    refund = pending(app, clock, "700.00", "900.00")

    escalated = app.escalate(refund.id, AGENT, "customer is a key account")
    assert escalated.tier == "finance"
    with pytest.raises(RefundError, match="already at the highest tier"):
        app.escalate(refund.id, AGENT, "again")
    with pytest.raises(AuthorityExceeded):
        app.approve(refund.id, MANAGER, None, None)
    assert app.approve(refund.id, FINANCE, None, None).status == "approved"


def test_sla_sweep_escalates_overdue_request_then_records_breach_once(
    app: RefundLedger, clock: FakeClock
) -> None:
    refund = pending(app, clock, "700.00", "900.00")

    clock.advance(hours=47)
    assert app.sweep_sla() == []
    clock.advance(hours=2)
    [escalated] = app.sweep_sla()
    assert (escalated.id, escalated.tier) == (refund.id, "finance")
    assert app.history(refund.id)[-1].payload.rule == "sla.pending_approval_hours"
    assert app.history(refund.id)[-1].payload.actor == "system:policy"
    assert app.sweep_sla() == []

    clock.advance(hours=49)
    [breached] = app.sweep_sla()
    assert event_types(app, breached)[-1] == "SlaBreached"
    assert app.sweep_sla() == []
    assert app.get(refund.id).status == "pending_approval"


def test_cancellation_releases_the_order_balance(app: RefundLedger, clock: FakeClock) -> None:
    refund = goods_request(app, clock, "60.00", "100.00")
    with pytest.raises(AmountExceedsRefundable, match="40.00 EUR of 100.00 EUR left"):
        app.request(AGENT, form(amount="50.00"))

    cancelled = app.cancel(refund.id, Actor.parse("customer:c-1"), "found it after all")

    assert cancelled.status == "cancelled"
    assert refundable(app) == Decimal("100.00")
    again = app.request(AGENT, form(amount="50.00"))  # flagged: C-1's refunds are 110% of it
    assert (again.status, again.flags) == ("pending_approval", ["fraud.refund_to_order_ratio"])
    assert refundable(app) == Decimal("50.00")


def test_payout_fails_then_retry_settles(app: RefundLedger, clock: FakeClock) -> None:
    refund = pending(app, clock, "700.00", "900.00")
    app.approve(refund.id, MANAGER, None, None)

    started = app.start_payout(refund.id, FINANCE, None)
    assert (started.status, started.payout_attempt) == ("payout_pending", 1)
    with pytest.raises(IllegalTransition, match="cannot cancel a refund that is payout_pending"):
        app.cancel(refund.id, AGENT, "too late")
    failed = app.fail_payout(refund.id, FINANCE, "account closed", "PSP-F1")
    assert failed.status == "payout_failed"
    retried = app.start_payout(refund.id, FINANCE, "bank_transfer")
    assert (retried.status, retried.payout_attempt) == ("payout_pending", 2)
    paid = app.settle_payout(refund.id, FINANCE, "PSP-2")

    assert paid.status == "paid"
    assert paid.paid_amount == Decimal("700.00")
    settled = app.history(refund.id)[-1].payload
    assert (settled.attempt, settled.reference, settled.amount) == (2, "PSP-2", Decimal("700.00"))
    assert app.history(refund.id)[-2].payload.method == "bank_transfer"
    assert refundable(app) == Decimal("200.00")
