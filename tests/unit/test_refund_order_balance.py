"""The order balance caps approved-or-pending refunds at the order's captured total."""

from __future__ import annotations

from decimal import Decimal

from ledger.domain.errors import AmountExceedsRefundable, OrderMismatch
from ledger.domain.order import OrderBalance

from .builders import T0, at, refused


def order(total: str = "100.00") -> OrderBalance:
    return OrderBalance.open("o-1", "EUR", Decimal(total), T0)


def test_order_id_is_derived_from_the_upstream_order_id() -> None:
    assert order().id == OrderBalance.id_for("o-1")
    assert OrderBalance.id_for("o-1") != OrderBalance.id_for("o-2")


def test_new_order_has_its_whole_captured_total_refundable() -> None:
    assert order("100.00").refundable() == Decimal("100.00")


def test_holds_within_the_captured_total_are_recorded() -> None:
    balance = order("100.00")

    balance.hold("r-1", Decimal("60.00"), at(1))
    balance.hold("r-2", Decimal("40.00"), at(2))

    assert balance.refundable() == Decimal("0.00")
    assert balance.reservations == {"r-1": Decimal("60.00"), "r-2": Decimal("40.00")}
    assert balance.version == 3


def test_hold_cannot_exceed_the_captured_total() -> None:
    balance = order("100.00")
    balance.hold("r-1", Decimal("60.00"), at(1))

    with refused(balance, AmountExceedsRefundable, "order o-1 has 40.00 EUR of 100.00 EUR left"):
        balance.hold("r-2", Decimal("40.01"), at(2))


def test_raising_a_hold_counts_only_the_other_refunds() -> None:
    balance = order("100.00")
    balance.hold("r-1", Decimal("60.00"), at(1))
    balance.hold("r-2", Decimal("30.00"), at(2))

    balance.hold("r-1", Decimal("70.00"), at(3))
    with refused(balance, AmountExceedsRefundable, "70.01 EUR is too much"):
        balance.hold("r-1", Decimal("70.01"), at(4))


def test_releasing_a_hold_frees_the_balance() -> None:
    balance = order("100.00")
    balance.hold("r-1", Decimal("100.00"), at(1))

    balance.hold("r-1", Decimal(0), at(2))

    assert balance.refundable() == Decimal("100.00")
    assert balance.refundable(excluding="r-1") == Decimal("100.00")


def test_unchanged_hold_records_nothing() -> None:
    balance = order("100.00")
    balance.hold("r-1", Decimal("60.00"), at(1))
    version = balance.version

    balance.hold("r-1", Decimal("60.00"), at(2))

    assert balance.version == version


def test_order_refuses_another_currency() -> None:
    balance = order()

    with refused(balance, OrderMismatch, "recorded with currency EUR, not USD"):
        balance.check_request("c-1", "USD", Decimal("100.00"), None, None)


def test_order_refuses_a_different_captured_total() -> None:
    balance = order()

    with refused(balance, OrderMismatch, "recorded with order total 100.00 EUR, not 120.00"):
        balance.check_request("c-1", "EUR", Decimal("120.00"), None, None)


def test_order_accepts_its_own_currency_and_total() -> None:
    balance = order()

    balance.check_request("c-1", "EUR", Decimal("100.00"), None, None)
    balance.check_request("c-1", "EUR", None, None, None)

    assert balance.version == 1
