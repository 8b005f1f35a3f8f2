"""Orders are facts from a trusted source, on both back ends: captured, declared in a request,
and never restated differently; customers refund only their own recorded orders."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from ledger.app.orders import OrderCapture, order_for
from ledger.app.service import RefundLedger
from ledger.domain.actor import Actor
from ledger.domain.errors import (
    InvalidInput,
    OrderMismatch,
    OrderNotFound,
    RoleNotAllowed,
)

from .support import AGENT, VERIFIER, FakeClock, event_count, form

SHOP = Actor.parse("system:shop")
MALLORY = Actor.parse("customer:mallory")
CAROL = Actor.parse("customer:c-1")


def capture(app: RefundLedger, order_id: str = "O-1", customer: str = "C-1", **more: str) -> None:
    fields = {"total": "48.00", "currency": "EUR", **more}
    app.capture_order(SHOP, OrderCapture.parse(order_id, customer, **fields))


def test_capturing_the_same_facts_twice_stores_them_once(app: RefundLedger) -> None:
    capture(app, purchased_on="2025-01-02", address="1 Mill Road")
    stored = event_count(app)

    order, changed = app.capture_order(
        SHOP, OrderCapture.parse("O-1", "C-1", "48.00", "EUR", "2025-01-02", "1 Mill Road")
    )

    assert not changed
    assert event_count(app) == stored
    assert (order.source, order.recorded_by, order.captured_total) == (
        "captured",
        "system:shop",
        Decimal("48.00"),
    )


def test_other_facts_for_a_recorded_order_are_refused_and_store_nothing(
    app: RefundLedger,
) -> None:
    capture(app)
    stored = event_count(app)

    with pytest.raises(OrderMismatch, match="recorded with order total 48.00 EUR, not 50.00"):
        app.capture_order(SHOP, OrderCapture.parse("O-1", "C-1", "50.00", "EUR"))

    assert event_count(app) == stored


def test_a_customer_cannot_capture_orders(app: RefundLedger) -> None:
    with pytest.raises(RoleNotAllowed, match="may not capture an order"):
        app.capture_order(MALLORY, OrderCapture.parse("O-9", "mallory", "1000.00", "EUR"))

    assert event_count(app) == 0


def test_a_purchase_date_in_the_future_is_refused(app: RefundLedger, clock: FakeClock) -> None:
    tomorrow = str(clock.now.date() + timedelta(days=1))

    with pytest.raises(InvalidInput, match="is in the future"):
        app.capture_order(SHOP, OrderCapture.parse("O-1", "C-1", "48.00", "EUR", tomorrow))

    assert event_count(app) == 0


def test_a_request_on_a_recorded_order_takes_its_facts(app: RefundLedger) -> None:
    capture(app, purchased_on=str(app.clock().date()), address="1 Mill Road, Leeds")

    refund = app.request(CAROL, form(customer_id="C-1", order_total=None, amount="10.00"))

    assert refund.request.order_total == Decimal("48.00")
    assert refund.request.purchased_on == app.clock().date()
    assert refund.request.address == "1 Mill Road, Leeds"
    assert app.get_order("O-1").refundable() == Decimal("38.00")


def test_a_request_restating_the_order_differently_is_refused(app: RefundLedger) -> None:
    capture(app)
    stored = event_count(app)

    for changed, named in (
        ({"order_total": "1000.00"}, "order total 48.00 EUR, not 1000.00"),
        ({"customer_id": "C-2"}, "customer C-1, not C-2"),
        ({"currency": "USD", "order_total": None}, "currency EUR, not USD"),
    ):
        with pytest.raises(OrderMismatch, match=named):
            app.request(AGENT, form(amount="10.00", **changed))

    assert event_count(app) == stored


def test_a_staff_request_on_an_unrecorded_order_declares_it(app: RefundLedger) -> None:
    app.request(AGENT, form(order_total="100.00", amount="10.00"))

    order = app.get_order("O-1")
    assert (order.source, order.recorded_by, order.customer_id) == ("declared", "agent:ann", "C-1")
    with pytest.raises(OrderMismatch, match="order total 100.00 EUR, not 90.00"):
        app.request(AGENT, form(order_total="90.00", amount="10.00"))


def test_a_staff_request_without_a_total_on_an_unrecorded_order_is_refused(
    app: RefundLedger,
) -> None:
    with pytest.raises(OrderNotFound, match="order O-1 is not on record; capture it first"):
        app.request(AGENT, form(order_total=None))

    assert event_count(app) == 0


def test_a_customer_gets_the_same_refusal_for_an_unknown_order_and_another_s(
    app: RefundLedger,
) -> None:
    capture(app, "O-1", "C-1")
    stored = event_count(app)
    mine = {"customer_id": "mallory", "amount": "50.00", "order_total": "1000.00"}

    with pytest.raises(OrderNotFound) as unknown:
        app.request(MALLORY, form(order_id="O-NONE", **mine))
    with pytest.raises(OrderNotFound) as others:
        app.request(MALLORY, form(order_id="O-1", **mine))

    assert unknown.value.message.replace("O-NONE", "ID") == others.value.message.replace(
        "O-1", "ID"
    )
    assert "48.00" not in others.value.message and "C-1" not in others.value.message
    assert event_count(app) == stored
    assert app.get_order("O-1").refundable() == Decimal("48.00")


def test_a_customer_refunds_a_recorded_order_of_their_own(app: RefundLedger) -> None:
    capture(app, "O-1", "C-1")

    refund = app.request(CAROL, form(order_total=None, amount="10.00"))

    assert refund.status == "approved"


def test_a_goods_return_with_no_purchase_date_on_record_waits_for_a_person(
    app: RefundLedger,
) -> None:
    capture(app)

    refund = app.request(AGENT, form(reason="damaged", amount="10.00", order_total=None))
    verified = app.verify(refund.id, VERIFIER, "as new", None)

    assert verified.status == "pending_approval"
    assert verified.last_rule == "auto_approval.purchase_date_unknown"
    window = verified.findings[0]
    assert (window.check, window.passed) == ("return_window", True)
    assert "a person decides" in window.detail


def test_the_return_window_uses_the_order_s_purchase_date(
    app: RefundLedger, clock: FakeClock
) -> None:
    bought = clock.now.date() - timedelta(days=40)
    capture(app, purchased_on=str(bought))

    refund = app.request(AGENT, form(amount="10.00", order_total=None, reason="late_delivery"))

    assert refund.status == "rejected"
    assert refund.last_rule == "verification.return_window"


def test_a_customer_sees_only_their_own_order(app: RefundLedger) -> None:
    capture(app, "O-1", "C-1")
    order = app.get_order("O-1")

    assert order_for(CAROL, order)["recorded_by"] == "system"
    with pytest.raises(OrderNotFound, match="order O-1 is not on record"):
        order_for(MALLORY, order)
