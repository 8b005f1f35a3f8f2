"""Orders are facts from a trusted source: captured, or declared by staff in a request."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from ledger.domain.errors import OrderMismatch, RoleNotAllowed
from ledger.domain.order import CAPTURED, DECLARED, OrderBalance, OrderFacts

from .builders import POLICY, T0, actor, at, refused

FACTS = OrderFacts(
    customer_id="C-1",
    total=Decimal("48.00"),
    currency="EUR",
    purchased_on=date(2025, 2, 20),
    address="1 Mill Road, Leeds",
)


def captured(facts: OrderFacts = FACTS) -> OrderBalance:
    return OrderBalance.captured("O-1", facts, actor("system:shop"), POLICY, T0)


def test_a_captured_order_holds_its_facts_and_who_recorded_them() -> None:
    order = captured()

    assert order.facts == FACTS
    assert order.source == CAPTURED
    assert order.recorded_by == "system:shop"
    assert order.refundable() == Decimal("48.00")
    assert order.belongs_to("c-1") and not order.belongs_to("c-2")


@pytest.mark.parametrize("role", ["customer", "verifier", "manager", "disputes", "auditor"])
def test_only_the_policy_s_trusted_roles_capture_orders(role: str) -> None:
    with pytest.raises(RoleNotAllowed, match="may not capture an order"):
        OrderBalance.captured("O-1", FACTS, actor(f"{role}:x"), POLICY, T0)


def test_capturing_the_same_facts_again_changes_nothing() -> None:
    order = captured()

    changed = order.capture(FACTS, actor("finance:fay"), POLICY, at(1))

    assert not changed
    assert order.version == 1
    assert order.recorded_by == "system:shop"


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"customer_id": "C-2"}, "customer C-1, not C-2"),
        ({"total": Decimal("1000.00")}, "order total 48.00 EUR, not 1000.00"),
        ({"currency": "USD"}, "currency EUR, not USD"),
        ({"purchased_on": date(2025, 2, 21)}, "purchase date 2025-02-20, not 2025-02-21"),
        ({"address": "9 Elm Grove"}, "address 1 Mill Road, Leeds, not 9 Elm Grove"),
    ],
)
def test_different_facts_for_a_known_order_are_refused_naming_the_field(
    change: dict[str, object], named: str
) -> None:
    order = captured()

    with refused(order, OrderMismatch, named):
        order.capture(FACTS.model_copy(update=change), actor("system:shop"), POLICY, at(1))


def test_the_same_customer_in_another_case_and_the_same_address_spelt_otherwise_agree() -> None:
    order = captured()
    again = FACTS.model_copy(update={"customer_id": "c-1", "address": "1, MILL ROAD  Leeds"})

    assert not order.capture(again, actor("system:shop"), POLICY, at(1))


def test_a_capture_confirms_a_declared_order_and_fills_what_it_lacked() -> None:
    declared = FACTS.model_copy(update={"purchased_on": None, "address": None})
    order = OrderBalance.record("O-1", declared, actor("agent:ann"), DECLARED, T0)

    changed = order.capture(FACTS, actor("system:shop"), POLICY, at(1))

    assert changed
    assert order.source == CAPTURED
    assert order.facts == FACTS
    assert order.recorded_by == "system:shop"


def test_a_capture_cannot_change_a_declared_order_s_total() -> None:
    order = OrderBalance.record("O-1", FACTS, actor("agent:ann"), DECLARED, T0)

    with refused(order, OrderMismatch, "order total 48.00 EUR, not 50.00"):
        order.capture(
            FACTS.model_copy(update={"total": Decimal("50.00")}), actor("system:shop"), POLICY, T0
        )


def test_a_request_may_leave_the_order_s_facts_out() -> None:
    order = captured()

    order.check_request("C-1", "EUR", None, None, None)

    assert order.version == 1


@pytest.mark.parametrize(
    ("stated", "named"),
    [
        (("C-9", "EUR", None, None, None), "customer C-1, not C-9"),
        (("C-1", "EUR", Decimal("1000.00"), None, None), "order total 48.00 EUR, not 1000.00"),
        (("C-1", "EUR", None, date(2025, 3, 1), None), "purchase date 2025-02-20, not 2025-03-01"),
        (("C-1", "EUR", None, None, "2 Quay Side"), "address 1 Mill Road, Leeds, not 2 Quay Side"),
    ],
)
def test_a_request_that_restates_the_order_differently_is_refused(
    stated: tuple[object, ...], named: str
) -> None:
    order = captured()

    with refused(order, OrderMismatch, named):
        order.check_request(*stated)  # type: ignore[arg-type]


def test_a_request_cannot_add_a_purchase_date_the_order_lacks() -> None:
    order = captured(FACTS.model_copy(update={"purchased_on": None}))

    with refused(order, OrderMismatch, "no purchase date on record"):
        order.check_request("C-1", "EUR", None, date(2025, 2, 1), None)


def test_an_order_opened_before_orders_had_owners_belongs_to_nobody() -> None:
    legacy = OrderBalance.open("O-1", "EUR", Decimal("48.00"), T0)

    assert legacy.facts is None
    assert not legacy.belongs_to("c-1")
    legacy.check_request("C-1", "EUR", Decimal("48.00"), None, None)
