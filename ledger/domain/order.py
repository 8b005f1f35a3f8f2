"""OrderBalance: what is still refundable on one order.

Every command that changes what a refund holds of its order saves this aggregate in the same
transaction as the refund, so optimistic concurrency keeps the sum of approved-or-pending
refunds within the captured total even when several processes write at once.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from ledger.domain import events as e
from ledger.domain.errors import AmountExceedsRefundable, OrderMismatch

LEDGER_NAMESPACE = uuid5(NAMESPACE_URL, "https://refund-ledger.invalid/")


class OrderBalance(Aggregate):
    class Opened(Aggregate.Created):
        payload: e.OrderOpened

    class ReservationChanged(Aggregate.Event):
        payload: e.OrderReservationChanged

        def apply(self, aggregate: Any) -> None:
            aggregate.reservations[self.payload.refund_id] = self.payload.amount

    def __init__(self, payload: e.OrderOpened) -> None:
        self.order_id = payload.order_id
        self.currency = payload.currency
        self.captured_total = payload.captured_total
        self.reservations: dict[str, Decimal] = {}

    @staticmethod
    def id_for(order_id: str) -> UUID:
        return uuid5(LEDGER_NAMESPACE, f"/order/{order_id}")

    @classmethod
    def open(
        cls, order_id: str, currency: str, captured_total: Decimal, at: datetime
    ) -> OrderBalance:
        payload = e.OrderOpened(order_id=order_id, currency=currency, captured_total=captured_total)
        return cls._create(cls.Opened, id=cls.id_for(order_id), payload=payload, timestamp=at)

    def check_matches(self, currency: str, captured_total: Decimal) -> None:
        if currency != self.currency:
            raise OrderMismatch(
                f"order {self.order_id} is refunded in {self.currency}, not {currency}; "
                "one currency per order"
            )
        if captured_total != self.captured_total:
            raise OrderMismatch(
                f"order {self.order_id} was recorded with a captured total of "
                f"{self.captured_total} {self.currency}, not {captured_total}"
            )

    def refundable(self, excluding: str | None = None) -> Decimal:
        held = sum(
            (amount for refund, amount in self.reservations.items() if refund != excluding),
            Decimal(0),
        )
        return self.captured_total - held

    def hold(self, refund_id: str, amount: Decimal, at: datetime) -> None:
        """Set what `refund_id` holds of this order; refuse to exceed the captured total."""
        current = self.reservations.get(refund_id, Decimal(0))
        if amount == current:
            return
        left = self.refundable(excluding=refund_id)
        if amount > current and amount > left:
            raise AmountExceedsRefundable(
                f"order {self.order_id} has {left} {self.currency} of "
                f"{self.captured_total} {self.currency} left to refund; "
                f"{amount} {self.currency} is too much"
            )
        self.trigger_event(
            self.ReservationChanged,
            payload=e.OrderReservationChanged(refund_id=refund_id, amount=amount),
            timestamp=at,
        )
