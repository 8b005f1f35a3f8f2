"""An order's facts as a person or a system typed them, checked, for `order capture`,
`order import` and `POST /orders`; and the order as every interface shows it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ledger.app.commands import OrderIn
from ledger.app.fields import PARSE_FIRST
from ledger.domain.actor import Actor
from ledger.domain.errors import OrderNotFound
from ledger.domain.order import OrderBalance, OrderFacts


@dataclass(frozen=True)
class OrderCapture:
    """One order to capture: its id and its facts, every field checked."""

    order_id: str
    facts: OrderFacts

    @classmethod
    def of(cls, order: OrderIn) -> OrderCapture:
        facts = OrderFacts(
            customer_id=order.customer_id,
            total=order.total,
            currency=order.currency,
            purchased_on=order.purchased_on,
            address=order.address,
        )
        return cls(order_id=order.order_id, facts=facts)

    @classmethod
    def parse(
        cls,
        order_id: str,
        customer_id: str,
        total: str,
        currency: str,
        purchased_on: str | None = None,
        address: str | None = None,
    ) -> OrderCapture:
        """The order as typed (in a file's row an empty date or address is none)."""
        optional = {"purchased_on": purchased_on or None, "address": address or None}
        fields = {"order_id": order_id, "customer_id": customer_id, "total": total}
        found = {**fields, "currency": currency, **optional}
        given = {k: v for k, v in found.items() if v is not None}
        return cls.of(OrderIn.model_validate(given, context=PARSE_FIRST))


def order_out(order: OrderBalance) -> dict[str, Any]:
    """The order as staff see it (`order show --json`, `GET /orders/{id}`)."""
    return {
        "order_id": order.order_id,
        "customer_id": order.customer_id,
        "total": str(order.captured_total),
        "currency": order.currency,
        "purchased_on": None if order.purchased_on is None else order.purchased_on.isoformat(),
        "address": order.address,
        "refundable": str(order.refundable()),
        "refunds": list(order.reservations),
        "recorded_by": order.recorded_by,
        "source": order.source,
        "version": order.version,
        "recorded_at": order.created_on.isoformat(),
        "updated_at": order.modified_on.isoformat(),
    }


def order_for(actor: Actor | None, order: OrderBalance) -> dict[str, Any]:
    """The order as `actor` may see it: to a customer only their own orders exist (anyone
    else's is not found, as an unknown one), and staff appear by their role alone."""
    shown = order_out(order)
    if actor is None or actor.role != "customer":
        return shown
    if not order.belongs_to(actor.name):
        raise OrderNotFound(order.order_id)
    recorder = shown["recorded_by"]
    shown["recorded_by"] = None if recorder is None else recorder.partition(":")[0]
    return shown
