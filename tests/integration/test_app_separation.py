"""The issue's dispute walk-arounds, tried again through the application on both back ends:
each is refused naming its rule, and a refusal stores nothing."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from functools import partial
from uuid import UUID

import pytest

from ledger.app.service import RefundLedger
from ledger.domain.actor import SYSTEM_POLICY, Actor
from ledger.domain.errors import AmountExceedsRefundable, InvalidActor, SeparationOfDuties
from ledger.domain.refund import Refund

from .support import event_count, form

CUSTOMER = Actor.parse("customer:c-1")
BOB, ALICE = Actor.parse("agent:bob"), Actor.parse("manager:alice")
FRED, FAY, FINN = (Actor.parse(f"finance:{name}") for name in ("fred", "fay", "finn"))
PAT = Actor.parse("finance:pat")
DANA = Actor.parse("disputes:dana")


def refused(
    app: RefundLedger, refund_id: UUID, command: Callable[[], object], says: str
) -> SeparationOfDuties:
    """`command` must be refused by a separation rule saying `says`, storing nothing."""
    before, version = event_count(app), app.get(refund_id).version
    with pytest.raises(SeparationOfDuties) as raised:
        command()
    assert says in raised.value.message
    assert raised.value.message.endswith(f"(rule {raised.value.rule})")
    assert event_count(app) == before
    assert app.get(refund_id).version == version
    return raised.value


def rejected_and_disputed(app: RefundLedger, requester: Actor, amount: str, by: Actor) -> Refund:
    total = str(Decimal(amount) * 2)
    refund = app.request(requester, form(amount=amount, order_total=total))
    assert refund.status == "pending_approval"
    app.reject(refund.id, by, "no proof of the billing error")
    return app.open_dispute(refund.id, CUSTOMER, "the invoice shows it twice")


def test_requester_cannot_overturn_the_rejection_of_their_own_request(app: RefundLedger) -> None:
    refund = rejected_and_disputed(app, BOB, "900.00", by=ALICE)

    refusal = refused(
        app,
        refund.id,
        lambda: app.resolve_dispute(
            refund.id, Actor.parse("disputes:bob"), "overturned", Decimal("900.00"), "x"
        ),
        "disputes:bob requested this refund (as agent:bob)",
    )

    assert refusal.rule == "separation.participant_resolves"
    assert app.get(refund.id).status == "disputed"


def test_a_large_overturn_waits_for_two_new_finance_approvers_who_then_pay_nothing(
    app: RefundLedger,
) -> None:
    refund = rejected_and_disputed(app, Actor.parse("agent:ann"), "20000.00", by=FRED)

    routed = app.resolve_dispute(
        refund.id, DANA, "overturned", Decimal("20000.00"), "invoice paid twice"
    )

    assert (routed.status, routed.tier, routed.approvals_required) == (
        "pending_approval",
        "finance",
        2,
    )
    assert (routed.approved_amount, routed.last_rule) == (None, "approval.limits.disputes")
    last = app.history(refund.id)[-1]
    assert (type(last).__name__, last.payload.amount) == ("OverturnRouted", Decimal("20000.00"))
    refusal = refused(
        app, refund.id, lambda: app.approve(refund.id, FRED, None, None), "finance:fred took part"
    )
    assert refusal.rule == "separation.participant_decides_overturn"

    app.approve(refund.id, FAY, None, "invoice checked")
    approved = app.approve(refund.id, FINN, None, None)

    assert (approved.status, approved.approved_amount) == ("approved", Decimal("20000.00"))
    for approver in (FAY, FINN):
        refused(
            app,
            refund.id,
            partial(app.start_payout, refund.id, approver, None),
            "somebody else must start its payout (rule separation.approver_pays_out)",
        )
    app.start_payout(refund.id, PAT, None)
    for approver in (FAY, FINN):
        refused(
            app,
            refund.id,
            partial(app.settle_payout, refund.id, approver, "PSP-1"),
            "somebody else must settle its payout (rule separation.approver_pays_out)",
        )
    paid = app.settle_payout(refund.id, PAT, "PSP-1")
    assert (paid.status, paid.paid_amount) == ("paid", Decimal("20000.00"))


def test_rejecting_a_waiting_overturn_after_a_partial_payout_keeps_the_order_balance_right(
    app: RefundLedger,
) -> None:
    refund = app.request(BOB, form(amount="3000.00", order_total="5000.00"))
    app.approve(refund.id, FAY, Decimal("2000.00"), "only part is proven")
    app.start_payout(refund.id, PAT, None)
    app.settle_payout(refund.id, PAT, "PSP-1")
    app.open_dispute(refund.id, CUSTOMER, "all of it is proven now")
    app.resolve_dispute(refund.id, DANA, "overturned", Decimal("3000.00"), "second invoice found")

    with pytest.raises(AmountExceedsRefundable, match="2000.01"):  # the overturn holds 3000.00
        app.request(BOB, form(amount="2000.01", order_total="5000.00"))
    restored = app.reject(refund.id, FINN, "the second invoice is a copy")

    assert (restored.status, restored.approved_amount, restored.paid_amount) == (
        "paid",
        Decimal("2000.00"),
        Decimal("2000.00"),
    )
    assert type(app.history(refund.id)[-1]).__name__ == "OverturnRejected"
    with pytest.raises(AmountExceedsRefundable, match="3000.01"):  # 2000.00 is held again
        app.request(BOB, form(amount="3000.01", order_total="5000.00"))
    assert app.request(BOB, form(amount="3000.00", order_total="5000.00")).status == (
        "pending_approval"
    )


def test_no_command_of_the_application_runs_as_the_ledgers_own_actor(app: RefundLedger) -> None:
    refund = app.request(BOB, form(amount="80.00"))
    before = event_count(app)

    with pytest.raises(InvalidActor, match="it is the ledger's own actor"):
        app.request(SYSTEM_POLICY, form(amount="20.00", order_id="O-2"))
    with pytest.raises(InvalidActor, match="it is the ledger's own actor"):
        app.approve(refund.id, SYSTEM_POLICY, None, None)
    with pytest.raises(InvalidActor, match="it is the ledger's own actor"):
        app.add_note(refund.id, SYSTEM_POLICY, "hello")

    assert event_count(app) == before
