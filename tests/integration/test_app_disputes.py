"""Disputes (docs/product.md §2.1): reopen a decision, uphold it or overturn it and pay the
difference."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from ledger.app.service import RefundLedger
from ledger.domain.actor import Actor
from ledger.domain.errors import IllegalTransition, InvalidDecision, SeparationOfDuties
from ledger.domain.refund import Refund

from .support import AGENT, DISPUTES, FINANCE, MANAGER, VERIFIER, FakeClock, event_count, form

CUSTOMER = Actor.parse("customer:c-1")


def pending(app: RefundLedger, clock: FakeClock) -> Refund:
    bought = str(clock.now.date() - timedelta(days=3))
    request = form(amount="700.00", order_total="900.00", reason="defective", purchased_on=bought)
    refund = app.request(AGENT, request)
    return app.verify(refund.id, VERIFIER, "broken hinge", None)


def pay(app: RefundLedger, refund: Refund, reference: str) -> Refund:
    app.start_payout(refund.id, FINANCE, None)
    return app.settle_payout(refund.id, FINANCE, reference)


def test_rejected_refund_disputed_overturned_and_paid(app: RefundLedger, clock: FakeClock) -> None:
    refund = pending(app, clock)
    app.reject(refund.id, MANAGER, "looks like wear and tear")

    disputed = app.open_dispute(refund.id, CUSTOMER, "it broke on day two")
    assert disputed.status == "disputed"
    with pytest.raises(SeparationOfDuties, match="took part in the decision"):
        app.resolve_dispute(
            refund.id, Actor.parse("disputes:bob"), "overturned", Decimal("500"), "x"
        )
    overturned = app.resolve_dispute(
        refund.id, DISPUTES, "overturned", Decimal("500.00"), "photos convince"
    )

    assert (overturned.status, overturned.approved_amount) == ("approved", Decimal("500.00"))
    assert app.history(refund.id)[-1].payload.rule == "dispute.overturned"
    paid = pay(app, refund, "PSP-9")
    assert (paid.status, paid.paid_amount) == ("paid", Decimal("500.00"))


def test_overturned_paid_refund_pays_only_the_difference(
    app: RefundLedger, clock: FakeClock
) -> None:
    refund = pending(app, clock)
    app.approve(refund.id, MANAGER, Decimal("400.00"), "partial: item used")
    pay(app, refund, "PSP-1")

    app.open_dispute(refund.id, CUSTOMER, "item was unused")
    with pytest.raises(InvalidDecision, match="must be above the 400.00 EUR decided before"):
        app.resolve_dispute(refund.id, DISPUTES, "overturned", Decimal("400.00"), "same")
    app.resolve_dispute(
        refund.id, DISPUTES, "overturned", Decimal("700.00"), "receipt shows unused"
    )
    started = app.start_payout(refund.id, FINANCE, None)

    assert app.history(refund.id)[-1].payload.amount == Decimal("300.00")
    assert started.payout_attempt == 2
    paid = app.settle_payout(refund.id, FINANCE, "PSP-2")
    assert (paid.status, paid.approved_amount, paid.paid_amount) == (
        "paid",
        Decimal("700.00"),
        Decimal("700.00"),
    )


def test_upheld_dispute_restores_the_decision(app: RefundLedger) -> None:
    refund = app.request(AGENT, form(amount="30.00"))
    app.open_dispute(refund.id, CUSTOMER, "want it faster")

    with pytest.raises(InvalidDecision, match="leave out amount"):
        app.resolve_dispute(refund.id, DISPUTES, "upheld", Decimal("30.00"), "no")
    upheld = app.resolve_dispute(refund.id, DISPUTES, "upheld", None, "already approved")

    assert (upheld.status, upheld.approved_amount) == ("approved", Decimal("30.00"))
    assert app.history(refund.id)[-1].payload.rule == "dispute.upheld"


def test_dispute_cannot_open_while_pending_and_nothing_is_stored(
    app: RefundLedger, clock: FakeClock
) -> None:
    refund = pending(app, clock)
    before = event_count(app)

    with pytest.raises(IllegalTransition, match="cannot dispute a refund that is pending_approval"):
        app.open_dispute(refund.id, CUSTOMER, "too slow")
    assert event_count(app) == before
