"""The order use cases: capture an order's facts from a trusted source, and read one."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from ledger.app.loading import LoadsMany
from ledger.app.orders import OrderCapture
from ledger.app.retry import attempts
from ledger.domain.actor import Actor
from ledger.domain.errors import ConcurrencyConflict, InvalidInput, OrderNotFound
from ledger.domain.order import OrderBalance
from ledger.domain.policy import Policy


class OrderCommands(LoadsMany):
    """Mixed into RefundLedger, which provides the policy and the clock."""

    policy: Policy
    clock: Callable[[], datetime]

    def capture_order(self, actor: Actor, order: OrderCapture) -> tuple[OrderBalance, bool]:
        """Record an order's facts from a trusted source; the same facts again change
        nothing. Returns the order and whether anything was stored."""
        actor.require_acting()
        order_id = OrderBalance.id_for(order.order_id)
        for attempt in attempts():
            at = self.clock()
            _not_in_future(order, at)
            found = self._load(order_id)[order_id]
            if isinstance(found, OrderBalance):
                if not found.capture(order.facts, actor, self.policy, at):
                    return found, False
            else:
                found = OrderBalance.captured(order.order_id, order.facts, actor, self.policy, at)
            try:
                self.save(found)
                return found, True
            except IntegrityError:
                attempt.failed()
        raise ConcurrencyConflict(f"order {order.order_id}")

    def get_order(self, order_id: str) -> OrderBalance:
        found = self._get_or(OrderBalance.id_for(order_id))
        if not isinstance(found, OrderBalance):
            raise OrderNotFound(order_id)
        return found

    def find_orders(self, order_ids: list[str]) -> dict[str, OrderBalance]:
        """The recorded orders among `order_ids`, by id, from one query."""
        wanted: dict[UUID, str] = {OrderBalance.id_for(i): i for i in order_ids}
        loaded = self._load(*wanted)
        return {
            wanted[key]: order for key, order in loaded.items() if isinstance(order, OrderBalance)
        }


def _not_in_future(order: OrderCapture, at: datetime) -> None:
    when = order.facts.purchased_on
    if when is not None and when > at.date():
        raise InvalidInput(f"purchase date {when} of order {order.order_id} is in the future")
