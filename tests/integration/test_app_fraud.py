"""Fraud flags from the history the ledger holds (docs/product.md §2.3); flagged refunds wait for
a person."""

from __future__ import annotations

from ledger.app.service import RefundLedger
from ledger.domain.refund import Refund

from .support import AGENT, MANAGER, FakeClock, event_types, form


def small(app: RefundLedger, n: int, customer: str = "C-9", **extra: str) -> Refund:
    """A 10.00 refund on an order of 1000.00: far below every ratio, auto-approved if clean."""
    return app.request(
        AGENT,
        form(
            order_id=f"O-{customer}-{n}",
            customer_id=customer,
            amount="10.00",
            order_total="1000.00",
            **extra,
        ),
    )


def test_fourth_refund_within_thirty_days_is_flagged_and_not_auto_approved(
    app: RefundLedger,
) -> None:
    earlier = [small(app, n) for n in range(3)]
    fourth = small(app, 3)

    assert [r.status for r in earlier] == ["approved"] * 3
    assert fourth.flags == ["fraud.refunds_per_customer"]
    assert (fourth.status, fourth.last_rule) == ("pending_approval", "auto_approval.flagged")
    assert event_types(app, fourth) == ["Requested", "Flagged", "Verified", "RoutedForApproval"]
    flagged = app.history(fourth.id)[1].payload
    assert flagged.detail == "4 refunds for customer C-9 within 30 days (more than 3)"
    assert flagged.policy_version == app.policy.version
    assert app.approve(fourth.id, MANAGER, None, None).status == "approved"


def test_refunds_older_than_the_window_do_not_count(app: RefundLedger, clock: FakeClock) -> None:
    for n in range(3):
        small(app, n)
    clock.advance(days=31)

    assert small(app, 3).flags == []


def test_address_shared_by_a_third_customer_is_flagged(app: RefundLedger) -> None:
    first = small(app, 1, "C-1", address="1 Main St., Springfield")
    again = small(app, 2, "C-1", address="1 main st springfield")
    second = small(app, 1, "C-2", address="1 MAIN ST, Springfield")
    third = small(app, 1, "C-3", address="1 Main St Springfield")

    assert [r.flags for r in (first, again, second)] == [[], [], []]
    assert third.flags == ["fraud.shared_address"]
    assert third.status == "pending_approval"
    assert "used by 3 customers" in app.history(third.id)[1].payload.detail


def test_refunds_above_eighty_percent_of_order_value_are_flagged(app: RefundLedger) -> None:
    refund = app.request(AGENT, form(customer_id="C-5", amount="45.00", order_total="50.00"))

    assert refund.flags == ["fraud.refund_to_order_ratio"]
    assert refund.status == "pending_approval"
    assert "90%" in app.history(refund.id)[1].payload.detail


def test_ratio_is_taken_over_all_the_customers_recent_orders(app: RefundLedger) -> None:
    app.request(AGENT, form(order_id="O-A", customer_id="C-6", amount="10.00", order_total="1000"))

    second = app.request(AGENT, form(order_id="O-B", customer_id="C-6", amount="90.00"))

    assert second.flags == []  # 100.00 of 1100.00, although 90.00 of this order's 100.00
