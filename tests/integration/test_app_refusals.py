"""Refused commands (docs/product.md §2.2) say why, and store nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from uuid import uuid4

import pytest

from ledger.app.service import RefundLedger
from ledger.domain.actor import Actor
from ledger.domain.errors import (
    AmountExceedsRefundable,
    IllegalTransition,
    InvalidDecision,
    InvalidInput,
    LedgerError,
    OrderMismatch,
    RefundNotFound,
    RoleNotAllowed,
    SeparationOfDuties,
)
from ledger.domain.refund import Refund

from .support import AGENT, FINANCE, MANAGER, VERIFIER, FakeClock, event_count, form

Command = Callable[[RefundLedger, Refund], object]


def test_order_cap_refuses_what_exceeds_the_captured_total(app: RefundLedger) -> None:
    app.request(AGENT, form(amount="80.00"))
    stored = event_count(app)

    with pytest.raises(AmountExceedsRefundable, match="20.00 EUR of 100.00 EUR left"):
        app.request(AGENT, form(amount="30.00"))

    assert event_count(app) == stored
    assert len(list(app.refund_ids())) == 1


def test_order_recorded_with_another_total_or_currency_is_refused(app: RefundLedger) -> None:
    app.request(AGENT, form())
    stored = event_count(app)

    with pytest.raises(OrderMismatch, match="recorded with order total 100.00 EUR, not 120.00"):
        app.request(AGENT, form(order_total="120.00"))
    with pytest.raises(OrderMismatch, match="recorded with currency EUR, not USD"):
        app.request(AGENT, form(currency="USD"))
    with pytest.raises(OrderMismatch, match="recorded with customer C-1, not C-2"):
        app.request(AGENT, form(customer_id="C-2"))
    assert event_count(app) == stored


def test_purchase_date_in_the_future_is_refused(app: RefundLedger, clock: FakeClock) -> None:
    tomorrow = str(clock.now.date() + timedelta(days=1))

    with pytest.raises(InvalidInput, match="is in the future"):
        app.request(AGENT, form(purchased_on=tomorrow))
    assert event_count(app) == 0


def test_command_on_unknown_refund_is_not_found(app: RefundLedger) -> None:
    app.request(AGENT, form())
    stored = event_count(app)

    with pytest.raises(RefundNotFound, match="not found"):
        app.approve(uuid4(), MANAGER, None, None)
    assert event_count(app) == stored


REFUSALS: list[tuple[str, Command, type[LedgerError], str]] = [
    (
        "self-approval",
        lambda app, r: app.approve(r.id, Actor.parse("manager:ann"), None, None),
        SeparationOfDuties,
        "somebody else must approve it",
    ),
    (
        "verifier-approves",
        lambda app, r: app.approve(r.id, VERIFIER, None, None),
        RoleNotAllowed,
        "verifier:vic may not approve a refund",
    ),
    (
        "approve-more-than-requested",
        lambda app, r: app.approve(r.id, MANAGER, Decimal("800.00"), None),
        InvalidDecision,
        "the request is for 700.00 EUR",
    ),
    (
        "payout-before-approval",
        lambda app, r: app.start_payout(r.id, FINANCE, None),
        IllegalTransition,
        "cannot start a payout for a refund that is pending_approval",
    ),
    (
        "settle-without-payout",
        lambda app, r: app.settle_payout(r.id, FINANCE, "PSP-1"),
        IllegalTransition,
        "cannot settle a payout for",
    ),
    (
        "verify-twice",
        lambda app, r: app.verify(r.id, VERIFIER, None, None),
        IllegalTransition,
        "cannot verify a refund that is pending_approval",
    ),
    (
        "other-customer-cancels",
        lambda app, r: app.cancel(r.id, Actor.parse("customer:c-2"), "mine now"),
        RoleNotAllowed,
        "customer:c-2 may not cancel a refund for customer C-1",
    ),
    (
        "auditor-adds-note",
        lambda app, r: app.add_note(r.id, Actor.parse("auditor:al"), "hi"),
        RoleNotAllowed,
        "auditor:al may not add a note",
    ),
    (
        "resolve-without-dispute",
        lambda app, r: app.resolve_dispute(r.id, Actor.parse("disputes:dora"), "upheld", None, "x"),
        IllegalTransition,
        "cannot resolve a dispute on",
    ),
    (
        "approve-zero",
        lambda app, r: app.approve(r.id, MANAGER, Decimal("0"), None),
        InvalidInput,
        "it must be greater than zero",
    ),
    (
        "approve-fractional-cents",
        lambda app, r: app.approve(r.id, MANAGER, Decimal("10.005"), None),
        InvalidInput,
        "EUR has 2 decimal places",
    ),
]


@pytest.mark.parametrize(
    ("command", "error", "message"),
    [refusal[1:] for refusal in REFUSALS],
    ids=[refusal[0] for refusal in REFUSALS],
)
def test_refused_command_explains_itself_and_stores_nothing(
    app: RefundLedger,
    clock: FakeClock,
    command: Command,
    error: type[LedgerError],
    message: str,
) -> None:
    purchased = str(clock.now.date() - timedelta(days=2))
    refund = app.request(
        AGENT, form(amount="700.00", order_total="900.00", reason="damaged", purchased_on=purchased)
    )
    refund = app.verify(refund.id, VERIFIER, None, None)
    stored = event_count(app)

    with pytest.raises(error, match=message):
        command(app, refund)

    assert event_count(app) == stored
    assert app.get(refund.id).version == refund.version
