"""Fraud rules: flags raised at request time from the history the ledger already holds."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from ledger.domain.payloads import CustomerRefundRecorded
from ledger.domain.policy import Policy


@dataclass(frozen=True)
class Flag:
    rule: str
    detail: str


def assess(
    new: CustomerRefundRecorded,
    earlier: list[CustomerRefundRecorded],
    address_customers: list[str],
    policy: Policy,
    at: datetime,
) -> list[Flag]:
    """Flags for a new request, given the customer's earlier refunds and the address's users."""
    rules = policy.fraud
    flags: list[Flag] = []
    since = at - timedelta(days=rules.refunds_window_days)
    recent = [r for r in earlier if datetime.fromisoformat(r.at) >= since] + [new]
    if len(recent) > rules.max_refunds_per_customer:
        flags.append(
            Flag(
                "fraud.refunds_per_customer",
                f"{len(recent)} refunds for customer {new.customer_id} within "
                f"{rules.refunds_window_days} days (more than {rules.max_refunds_per_customer})",
            )
        )
    ratio = _refund_to_order_ratio(new, earlier, at - timedelta(days=rules.ratio_window_days))
    if ratio is not None and ratio > rules.max_refund_to_order_ratio:
        flags.append(
            Flag(
                "fraud.refund_to_order_ratio",
                f"refunds are {ratio:.0%} of customer {new.customer_id}'s order value within "
                f"{rules.ratio_window_days} days (above {rules.max_refund_to_order_ratio:.0%})",
            )
        )
    customers = set(address_customers) | {new.customer_id.lower()}
    if len(customers) > rules.max_customers_per_address:
        flags.append(
            Flag(
                "fraud.shared_address",
                f"the shipping address is used by {len(customers)} customers "
                f"(more than {rules.max_customers_per_address})",
            )
        )
    return flags


def _refund_to_order_ratio(
    new: CustomerRefundRecorded, earlier: list[CustomerRefundRecorded], since: datetime
) -> Decimal | None:
    window = [
        r for r in earlier if r.currency == new.currency and datetime.fromisoformat(r.at) >= since
    ] + [new]
    order_totals = {r.order_id: r.order_total for r in window}
    total = sum(order_totals.values(), Decimal(0))
    if total <= 0:
        return None
    return sum((r.amount for r in window), Decimal(0)) / total
