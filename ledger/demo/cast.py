"""The demo's people and its routine traffic: who acts, and the everyday refunds of a month.

A story is a generator: it acts through the application, then yields how many hours pass
before its next step. `ledger.demo` interleaves the stories on one simulated clock.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import TYPE_CHECKING, Any
from uuid import UUID

from ledger.app.commands import ItemIn, RefundRequestIn
from ledger.app.orders import OrderCapture
from ledger.domain.actor import Actor

if TYPE_CHECKING:
    from datetime import date, datetime

    from ledger.app.service import RefundLedger

Story = Iterator[float]

ANN, EVE, SAM = Actor.parse("agent:ann"), Actor.parse("agent:eve"), Actor.parse("agent:sam")
SHOP = Actor.parse("system:storefront")
VIC, WES = Actor.parse("verifier:vic"), Actor.parse("verifier:wes")
BOB, MIA = Actor.parse("manager:bob"), Actor.parse("manager:mia")
FAY, FINN = Actor.parse("finance:fay"), Actor.parse("finance:finn")
PAT = Actor.parse("finance:pat")  # pays out: approvers never pay out what they approved
DANA = Actor.parse("disputes:dana")
BY_CHANNEL = {"phone": ANN, "email": EVE, "store": SAM, "api": SHOP}
STREETS = ("Mill Road", "Station Street", "Elm Grove", "Quay Side", "Kings Avenue", "Park Row")


FREQUENT_CUSTOMER = 7  # the customer whose fourth refund in a month is flagged


def customer_id(tag: str, n: int) -> str:
    return f"C-{tag}-{n:02d}"


class Demo:
    """What the stories share: the application, the clock, this run's ids and what they did."""

    def __init__(self, app: RefundLedger, clock: Callable[[], datetime], tag: str) -> None:
        self.app, self.clock, self.tag = app, clock, tag
        self.orders: list[str] = []
        self.orders_of: dict[int, list[str]] = {}
        self.refunds: list[UUID] = []
        self.order_of: dict[UUID, str] = {}
        self.paths: dict[str, UUID] = {}
        self.moments: dict[str, datetime] = {}
        self.payouts = 0
        # Unique per run, so that a second demo run does not share addresses with the first.
        self.shared_address = f"7 Harbour Lane, Flat {tag}, Bristol BS1 4RW"

    def customer(self, n: int) -> str:
        return customer_id(self.tag, n)

    def as_customer(self, n: int) -> Actor:
        return Actor.parse(f"customer:{self.customer(n)}")

    def request(
        self,
        n: int,
        reason: str,
        amount: str | None,
        total: str,
        channel: str = "portal",
        *,
        bought: float | None = 4,
        currency: str = "EUR",
        method: str = "original_payment",
        same_order: bool = False,
        address: str | None = None,
    ) -> UUID:
        """Customer `n` (or the channel's agent) asks for a refund; `bought` days ago."""
        purchased = None if bought is None else (self.clock() - timedelta(days=bought)).date()
        shipped_to = address or f"{10 + n} {STREETS[n % len(STREETS)]}, Flat {self.tag}, Leeds"
        if same_order:
            order = self.orders_of[n][-1]
        else:
            order = f"O-{self.tag}-{len(self.orders) + 1:03d}"
            self.orders.append(order)
            self.orders_of.setdefault(n, []).append(order)
            self.capture(order, n, total, currency, purchased, shipped_to)
        form = RefundRequestIn.model_validate(
            dict(
                order_id=order,
                customer_id=self.customer(n),
                amount=amount,
                currency=currency,
                order_total=None,  # the storefront captured the order: its facts come from there
                reason=reason,
                channel=channel,
                method=method,
                items=[
                    ItemIn.parse(f"SKU-{4100 + 7 * len(self.refunds)}:{1 + len(self.refunds) % 3}")
                ],
            )
        )
        refund = self.app.request(BY_CHANNEL.get(channel, self.as_customer(n)), form)
        self.refunds.append(refund.id)
        self.order_of[refund.id] = order
        return refund.id

    def capture(
        self, order: str, n: int, total: str, currency: str, bought: date | None, address: str
    ) -> None:
        """The storefront records the order when it is placed (`order capture`)."""
        facts = OrderCapture.parse(
            order,
            self.customer(n),
            total,
            currency,
            None if bought is None else str(bought),
            address,
        )
        self.app.capture_order(SHOP, facts)

    def status(self, refund_id: UUID) -> str:
        return self.app.get(refund_id).status

    def pay(self, refund_id: UUID, wait: float = 20, method: str | None = None) -> Story:
        """Finance starts the payout after `wait` hours; the provider settles it later."""
        yield wait
        self.app.start_payout(refund_id, PAT, method)
        yield 5
        self.payouts += 1
        self.app.settle_payout(refund_id, PAT, f"PSP-{self.tag}-{self.payouts:04d}")


# day, customer, reason, amount, order total, channel, where it ends, path name, request options
# fmt: off
ROUTINE: tuple[tuple[float, int, str, str, str, str, str, str, dict[str, Any]], ...] = (
    (0.4, 5, "price_adjustment", "25.00", "129.00", "portal", "paid", "", {}),
    (1.2, 1, "late_delivery", "18.50", "64.90", "portal", "paid", "auto_approved", {}),
    (1.8, 8, "cancellation", "45.00", "120.00", "email", "paid", "", {"bought": 1}),
    (3.5, 13, "wrong_item", "35.00", "89.00", "store", "paid", "", {}),
    (5.0, 9, "billing_error", "14.99", "59.99", "api", "paid", "", {"currency": "USD"}),
    (6.5, 13, "defective", "240.00", "399.00", "portal", "paid", "", {"currency": "GBP"}),
    (8.5, 5, "late_delivery", "30.00", "210.00", "phone", "paid", "", {}),
    (10.5, 8, "short_payment_writeoff", "3.20", "163.20", "email", "paid", "",
     {"method": "store_credit"}),
    (12.5, 13, "wrong_quantity", "60.00", "399.00", "portal", "paid", "same_order",
     {"currency": "GBP", "same_order": True}),
    (14.0, 9, "price_adjustment", "40.00", "160.00", "portal", "paid", "", {"currency": "USD"}),
    (15.5, 1, "billing_error", "19.90", "49.90", "phone", "paid", "", {}),
    (23.0, 2, "late_delivery", "12.00", "75.00", "portal", "disputed", "dispute_open", {}),
    (25.0, 4, "cancellation", "75.00", "300.00", "email", "paid", "", {"bought": 1}),
    (27.0, 6, "damaged", "48.00", "96.00", "store", "approved", "awaiting_payout", {}),
    (28.0, 3, "not_as_described", "85.00", "210.00", "portal", "requested", "awaiting_goods", {}),
    (28.8, 10, "price_adjustment", "150.00", "400.00", "phone", "pending_approval",
     "awaiting_approval", {}),
    (29.2, 11, "late_delivery", "20.00", "55.00", "portal", "payout_failed", "payout_failed", {}),
    (29.5, 12, "defective", "180.00", "300.00", "store", "requested", "", {}),
)
# fmt: on


def routine(
    d: Demo,
    n: int,
    reason: str,
    amount: str,
    total: str,
    channel: str,
    end: str,
    path: str,
    options: dict[str, Any],
) -> Story:
    """An everyday refund, taken as far as `end` along the usual path."""
    rid = d.request(n, reason, amount, total, channel, **options)
    if path:
        d.paths[path] = rid
    if end == "requested":
        return
    if d.status(rid) == "requested":
        yield 20
        d.app.verify(rid, VIC, "received in resaleable condition", None)
    if d.status(rid) == "pending_approval" and end != "pending_approval":
        yield 5
        d.app.approve(rid, MIA if n % 2 else BOB, None, None)
    if end == "payout_failed":
        yield 6
        d.app.start_payout(rid, FAY, None)
        yield 3
        d.app.fail_payout(rid, FAY, "card expired; the issuer returned the credit", None)
    elif end in ("paid", "disputed"):
        yield from d.pay(rid)
    if end == "disputed":
        yield 100
        d.app.open_dispute(rid, d.as_customer(n), "only half the delivery fee came back")
