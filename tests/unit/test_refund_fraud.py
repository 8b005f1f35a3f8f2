"""Fraud rules raise flags; a flagged refund is never approved automatically."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from ledger.domain import payloads as e
from ledger.domain.fraud import Flag, assess

from .builders import POLICY, T0, event_types, new_refund, payload, verify


def record(
    amount: str = "10.00",
    *,
    order_id: str = "o-new",
    order_total: str = "1000.00",
    when: datetime = T0,
    currency: str = "EUR",
    customer_id: str = "c-1",
) -> e.CustomerRefundRecorded:
    return e.CustomerRefundRecorded(
        customer_id=customer_id,
        refund_id=f"r-{order_id}-{amount}",
        order_id=order_id,
        amount=Decimal(amount),
        currency=currency,
        order_total=Decimal(order_total),
        at=when.isoformat(),
    )


def days_ago(days: float) -> datetime:
    return T0 - timedelta(days=days)


def rules(flags: list[Flag]) -> list[str]:
    return [flag.rule for flag in flags]


def test_first_refund_raises_no_flag() -> None:
    assert assess(record(), [], [], POLICY, T0) == []


def test_fourth_refund_within_30_days_is_flagged() -> None:
    earlier = [record(order_id=f"o-{n}", when=days_ago(n * 5)) for n in range(1, 4)]

    flags = assess(record(), earlier, [], POLICY, T0)

    assert rules(flags) == ["fraud.refunds_per_customer"]
    assert "4 refunds for customer c-1 within 30 days (more than 3)" in flags[0].detail


def test_third_refund_within_30_days_is_not_flagged() -> None:
    earlier = [record(order_id=f"o-{n}", when=days_ago(n * 5)) for n in range(1, 3)]

    assert assess(record(), earlier, [], POLICY, T0) == []


def test_refunds_older_than_30_days_do_not_count() -> None:
    earlier = [record(order_id=f"o-{n}", when=days_ago(30 + n)) for n in range(1, 4)]

    assert "fraud.refunds_per_customer" not in rules(assess(record(), earlier, [], POLICY, T0))


def test_refunds_above_80_percent_of_order_value_are_flagged() -> None:
    flags = assess(record("80.01", order_total="100.00"), [], [], POLICY, T0)

    assert rules(flags) == ["fraud.refund_to_order_ratio"]
    assert "refunds are 80% of customer c-1's order value within 90 days" in flags[0].detail


def test_refunds_of_exactly_80_percent_are_not_flagged() -> None:
    assert assess(record("80.00", order_total="100.00"), [], [], POLICY, T0) == []


def test_ratio_adds_up_refunds_on_the_same_order() -> None:
    earlier = [record("50.00", order_id="o-1", order_total="100.00", when=days_ago(40))]

    flags = assess(record("40.00", order_id="o-1", order_total="100.00"), earlier, [], POLICY, T0)

    assert rules(flags) == ["fraud.refund_to_order_ratio"]


def test_ratio_is_taken_over_all_orders_in_90_days() -> None:
    earlier = [record("10.00", order_id="o-1", order_total="900.00", when=days_ago(60))]

    assert assess(record("90.00", order_total="100.00"), earlier, [], POLICY, T0) == []


def test_ratio_ignores_orders_older_than_90_days() -> None:
    earlier = [record("10.00", order_id="o-1", order_total="900.00", when=days_ago(91))]

    flags = assess(record("90.00", order_total="100.00"), earlier, [], POLICY, T0)

    assert rules(flags) == ["fraud.refund_to_order_ratio"]


def test_ratio_ignores_refunds_in_other_currencies() -> None:
    earlier = [record("900.00", order_id="o-1", order_total="1000.00", currency="USD")]

    assert assess(record("10.00"), earlier, [], POLICY, T0) == []


def test_address_used_by_a_third_customer_is_flagged() -> None:
    flags = assess(record(), [], ["c-8", "c-9"], POLICY, T0)

    assert rules(flags) == ["fraud.shared_address"]
    assert "used by 3 customers (more than 2)" in flags[0].detail


def test_address_reused_by_the_same_customer_is_not_flagged() -> None:
    assert assess(record(customer_id="C-1"), [], ["c-1", "c-9"], POLICY, T0) == []


def test_flag_is_recorded_on_the_refund_with_rule_and_policy_version() -> None:
    refund = new_refund("20.00")

    refund.flag("fraud.shared_address", "used by 3 customers", POLICY, T0)

    assert refund.flags == ["fraud.shared_address"]
    flagged = payload(refund, e.FraudFlagged)
    assert (flagged.actor, flagged.policy_version) == ("system:policy", POLICY.version)
    assert flagged.detail == "used by 3 customers"


def test_flagged_refund_is_never_auto_approved() -> None:
    refund = new_refund("20.00")
    refund.flag("fraud.refunds_per_customer", "4 refunds", POLICY, T0)

    verify(refund)

    assert refund.status == "pending_approval"
    assert refund.last_rule == "auto_approval.flagged"
    assert "Approved" not in event_types(refund)
