"""The order: its facts (owner, captured total, currency, purchase date, shipping address), who
recorded them and how, and what is still refundable on it.

An order is recorded from a trusted source (`captured`: `order capture`, `order import`,
`POST /orders`) or `declared` by a staff member in a request; requests never restate its
facts differently. Every command that changes what a refund holds of its order saves this
aggregate in the same transaction as the refund, so optimistic concurrency keeps the sum of
approved-or-pending refunds within the captured total even when several processes write at
once.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate
from pydantic import BaseModel, ConfigDict

from ledger.domain import payloads as e
from ledger.domain.actor import Actor
from ledger.domain.errors import AmountExceedsRefundable, OrderMismatch
from ledger.domain.guards import require_role
from ledger.domain.history import normalize_address
from ledger.domain.ids import LEDGER_NAMESPACE
from ledger.domain.policy import Policy

CAPTURED, DECLARED = "captured", "declared"


class OrderFacts(BaseModel):
    """What an order is: stated by a trusted source, or declared in a request."""

    model_config = ConfigDict(frozen=True)

    customer_id: str
    total: Decimal
    currency: str
    purchased_on: date | None = None
    address: str | None = None


class OrderBalance(Aggregate):
    """One order: its facts and the refunds that hold part of its captured total."""

    class Opened(Aggregate.Created):
        """Orders opened by a request before orders had owners (kept for stored events)."""

        payload: e.OrderOpened

    class Recorded(Aggregate.Created):
        payload: e.OrderRecorded

    class Confirmed(Aggregate.Event):
        payload: e.OrderConfirmed

        def apply(self, aggregate: Any) -> None:
            aggregate._take(self.payload, CAPTURED)

    class ReservationChanged(Aggregate.Event):
        payload: e.OrderReservationChanged

        def apply(self, aggregate: Any) -> None:
            aggregate.reservations[self.payload.refund_id] = self.payload.amount

    def __init__(self, payload: e.OrderOpened | e.OrderRecorded) -> None:
        self.order_id = payload.order_id
        self.reservations: dict[str, Decimal] = {}
        self.customer_id: str | None = None
        self.purchased_on: date | None = None
        self.address: str | None = None
        self.recorded_by: str | None = None
        self.source = DECLARED
        if isinstance(payload, e.OrderOpened):
            self.currency = payload.currency
            self.captured_total = payload.captured_total
        else:
            self._take(payload, payload.source)

    def _take(self, payload: e.OrderRecorded | e.OrderConfirmed, source: str) -> None:
        self.customer_id = payload.customer_id
        self.currency = payload.currency
        self.captured_total = payload.total
        self.purchased_on = payload.purchased_on
        self.address = payload.address
        self.recorded_by = payload.actor
        self.source = source

    @staticmethod
    def id_for(order_id: str) -> UUID:
        return uuid5(LEDGER_NAMESPACE, f"/order/{order_id}")

    @classmethod
    def open(
        cls, order_id: str, currency: str, captured_total: Decimal, at: datetime
    ) -> OrderBalance:
        """An order known only by its currency and total (as requests opened them before)."""
        payload = e.OrderOpened(order_id=order_id, currency=currency, captured_total=captured_total)
        return cls._create(cls.Opened, id=cls.id_for(order_id), payload=payload, timestamp=at)

    @classmethod
    def record(
        cls, order_id: str, facts: OrderFacts, actor: Actor, source: str, at: datetime
    ) -> OrderBalance:
        """A new order, `captured` from a trusted source or `declared` in a request."""
        payload = e.OrderRecorded(
            actor=str(actor), order_id=order_id, source=source, **_fields(facts)
        )
        return cls._create(cls.Recorded, id=cls.id_for(order_id), payload=payload, timestamp=at)

    @staticmethod
    def check_capturer(actor: Actor, policy: Policy) -> None:
        """Whether `actor` may record orders as a trusted source."""
        require_role(actor, "order_capture", policy)

    @classmethod
    def captured(
        cls, order_id: str, facts: OrderFacts, actor: Actor, policy: Policy, at: datetime
    ) -> OrderBalance:
        """A new order from a trusted source: `actor` must be allowed to capture orders."""
        cls.check_capturer(actor, policy)
        return cls.record(order_id, facts, actor, CAPTURED, at)

    @property
    def facts(self) -> OrderFacts | None:
        """The order's facts, or None for an order that has no owner on record."""
        if self.customer_id is None:
            return None
        return OrderFacts(
            customer_id=self.customer_id,
            total=self.captured_total,
            currency=self.currency,
            purchased_on=self.purchased_on,
            address=self.address,
        )

    def belongs_to(self, customer_id: str) -> bool:
        return self.customer_id is not None and self.customer_id.lower() == customer_id.lower()

    def capture(self, facts: OrderFacts, actor: Actor, policy: Policy, at: datetime) -> bool:
        """Record the trusted source's facts of a known order; return whether anything changed.

        The same facts change nothing. A fact the order lacks (its owner, purchase date or
        address, or everything of an order declared in a request) is filled in, and the order
        counts as captured from then on; a fact that differs from the recorded one is refused.
        """
        self.check_capturer(actor, policy)
        self._require_same(facts)
        known = self.facts
        merged = OrderFacts(
            customer_id=self.customer_id or facts.customer_id,
            total=self.captured_total,
            currency=self.currency,
            purchased_on=self.purchased_on or facts.purchased_on,
            address=self.address or facts.address,
        )
        if self.source == CAPTURED and merged == known:
            return False
        payload = e.OrderConfirmed(actor=str(actor), order_id=self.order_id, **_fields(merged))
        self.trigger_event(self.Confirmed, payload=payload, timestamp=at)
        return True

    def check_request(
        self,
        customer_id: str,
        currency: str,
        total: Decimal | None,
        purchased_on: date | None,
        address: str | None,
    ) -> None:
        """A request on this order states its facts as recorded, or leaves them out."""
        if purchased_on is not None and self.purchased_on is None:
            raise OrderMismatch(
                f"order {self.order_id} has no purchase date on record and a request cannot "
                "add one; record it with `ledger order capture` (a trusted source)"
            )
        stated = OrderFacts(
            customer_id=customer_id,
            total=self.captured_total if total is None else total,
            currency=currency,
            purchased_on=purchased_on,
            address=address,
        )
        self._require_same(stated)

    def _require_same(self, stated: OrderFacts) -> None:
        """Refuse, naming the first field, a stated fact that differs from the recorded one
        (facts not stated, or not on record, are not compared)."""
        pairs: tuple[tuple[str, Any, Any], ...] = (
            ("customer", stated.customer_id, self.customer_id),
            ("currency", stated.currency, self.currency),
            ("order total", stated.total, self.captured_total),
            ("purchase date", stated.purchased_on, self.purchased_on),
            ("address", stated.address, self.address),
        )
        for field, value, recorded in pairs:
            if value is None or recorded is None or _same(field, value, recorded):
                continue
            shown = f"{recorded} {self.currency}" if field == "order total" else recorded
            raise OrderMismatch(
                f"order {self.order_id} is recorded with {field} {shown}, not {value}; "
                "a request or capture cannot change an order's facts"
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


def _fields(facts: OrderFacts) -> dict[str, Any]:
    return facts.model_dump()


def _same(field: str, stated: Any, recorded: Any) -> bool:
    if field == "customer":
        return str(stated).lower() == str(recorded).lower()
    if field == "address":
        return normalize_address(str(stated)) == normalize_address(str(recorded))
    return bool(stated == recorded)
