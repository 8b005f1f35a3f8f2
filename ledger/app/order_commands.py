"""The order use cases: capture an order's facts from a trusted source, and read one."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from ledger.app.keys import Keyed, KeyUse, key_use
from ledger.app.orders import OrderCapture
from ledger.app.retry import attempts
from ledger.domain.actor import Actor
from ledger.domain.command_key import CAPTURE_ORDER, CommandKey
from ledger.domain.errors import ConcurrencyConflict, InvalidInput, OrderNotFound
from ledger.domain.order import OrderBalance
from ledger.domain.policy import Policy
from ledger.store.library import LoadsMany, project


class OrderCommands(LoadsMany):
    """Mixed into RefundLedger, which provides the policy and the clock."""

    policy: Policy
    clock: Callable[[], datetime]

    def capture_order(
        self, actor: Actor, order: OrderCapture, key: Keyed | None = None
    ) -> tuple[OrderBalance, bool]:
        """Record an order's facts from a trusted source; the same facts again change
        nothing. Returns the order and whether anything was stored.

        With an idempotency key, the key is saved with the capture's events (alone, when the
        capture changed nothing), and a retry with it gets the first result back: the order
        as that capture left it, and whether it changed anything."""
        actor.require_acting()
        order_id = OrderBalance.id_for(order.order_id)
        use = capture_key_use(key, actor, order_id, order)
        for attempt in attempts():
            at = self.clock()
            _not_in_future(order, at)
            loaded = self._load(order_id, *([use.id] if use else []))
            recorded = loaded.get(use.id) if use else None
            if use is not None and isinstance(recorded, CommandKey):
                return self._captured_before(recorded, use, order_id)
            found, changed = self._capture(loaded[order_id], order, actor, at)
            if not changed and use is None:
                return found, False
            try:
                self.save(found, _recorded(use, found, changed, at))
                return found, changed
            except IntegrityError:
                attempt.failed()
        raise ConcurrencyConflict(f"order {order.order_id}")

    def _capture(
        self, found: Any, order: OrderCapture, actor: Actor, at: datetime
    ) -> tuple[OrderBalance, bool]:
        """The order with the capture's facts, and whether that changed anything."""
        if isinstance(found, OrderBalance):
            return found, found.capture(order.facts, actor, self.policy, at)
        return OrderBalance.captured(order.order_id, order.facts, actor, self.policy, at), True

    def _captured_before(
        self, recorded: CommandKey, use: KeyUse, order_id: UUID
    ) -> tuple[OrderBalance, bool]:
        """The order as the capture first run with this key left it (the fingerprint names
        the order: a key recorded on another order, or a refund, is refused)."""
        recorded.check(use.fingerprint)
        use.keyed.replayed = True
        found = self.repository.get(order_id, version=recorded.version, projector_func=project)
        if not isinstance(found, OrderBalance):
            raise OrderNotFound(str(recorded.order_id))
        return found, recorded.changed

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


def capture_key_use(
    keyed: Keyed | None, actor: Actor, order_id: UUID, order: OrderCapture
) -> KeyUse | None:
    """The key's use by this capture: its fingerprint covers the order and every fact."""
    facts = order.facts
    content = (facts.customer_id, facts.total, facts.currency, facts.purchased_on, facts.address)
    return key_use(keyed, actor, CAPTURE_ORDER, order_id, *content)


def _recorded(
    use: KeyUse | None, order: OrderBalance, changed: bool, at: datetime
) -> CommandKey | None:
    """The key of the capture that just ran on `order`, to save with its events."""
    if use is None:
        return None
    return CommandKey.record_on_order(
        use.actor, use.keyed.key, use.fingerprint, order.order_id, order.version, changed, at
    )


def _not_in_future(order: OrderCapture, at: datetime) -> None:
    when = order.facts.purchased_on
    if when is not None and when > at.date():
        raise InvalidInput(f"purchase date {when} of order {order.order_id} is in the future")
