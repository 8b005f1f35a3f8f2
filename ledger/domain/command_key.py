"""The idempotency key of a command, recorded in the command's own transaction.

A command given a key saves a `CommandKey` with its events, in the same atomic save: either
both are stored or neither is. A retry with the same key (by the same actor) finds it and gets
the first result back (the refund, or the order, as that command left it) instead of running
again, whatever happened to the process in between. The same key given to other content is
refused.

A refund command's key is `Recorded` (the refund and its version); an order capture's key is
`RecordedOnOrder` (the order, its version, and whether the capture changed anything).
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate

from ledger.domain import payloads as e
from ledger.domain.actor import Actor
from ledger.domain.errors import IdempotencyConflict
from ledger.domain.ids import LEDGER_NAMESPACE

CAPTURE_ORDER = "capture_order"  # the command name an order capture's key records


class CommandKey(Aggregate):
    """One actor's key for one command: what it ran on, and the version it left.

    `refund_id` is the refund a refund command left (None for an order capture's key);
    `order_id` the order an order capture left (None for a refund command's key)."""

    class Recorded(Aggregate.Created):
        payload: e.CommandKeyRecorded

    class RecordedOnOrder(Aggregate.Created):
        payload: e.OrderCommandKeyRecorded

    def __init__(self, payload: e.CommandKeyRecorded | e.OrderCommandKeyRecorded) -> None:
        self.actor = payload.actor
        self.key = payload.key
        self.command = payload.command
        self.fingerprint = payload.fingerprint
        self.version = payload.version
        self.refund_id: UUID | None = None
        self.order_id: str | None = None
        self.changed = True
        if isinstance(payload, e.CommandKeyRecorded):
            self.refund_id = UUID(payload.refund_id)
        else:
            self.order_id = payload.order_id
            self.changed = payload.changed

    @staticmethod
    def id_for(actor: Actor | str, key: str) -> UUID:
        """The key's aggregate id: scoped by the actor, so two actors' keys never meet."""
        return uuid5(LEDGER_NAMESPACE, f"/command-key/{actor}\n{key}")

    @classmethod
    def record(
        cls,
        actor: Actor,
        key: str,
        command: str,
        fingerprint: str,
        refund_id: UUID,
        version: int,
        at: datetime,
        key_id: UUID | None = None,
    ) -> CommandKey:
        """The key of a refund command that just ran; `key_id`, when the caller has it, is
        `id_for(actor, key)`."""
        payload = e.CommandKeyRecorded(
            actor=str(actor),
            key=key,
            command=command,
            fingerprint=fingerprint,
            refund_id=str(refund_id),
            version=version,
        )
        key_id = key_id or cls.id_for(actor, key)
        return cls._create(cls.Recorded, id=key_id, payload=payload, timestamp=at)

    @classmethod
    def record_on_order(
        cls,
        actor: Actor,
        key: str,
        fingerprint: str,
        order_id: str,
        version: int,
        changed: bool,
        at: datetime,
    ) -> CommandKey:
        """The key of an order capture that just ran: the order's version after it, and
        whether it changed anything (a capture of facts already on record did not)."""
        payload = e.OrderCommandKeyRecorded(
            actor=str(actor),
            key=key,
            command=CAPTURE_ORDER,
            fingerprint=fingerprint,
            order_id=order_id,
            version=version,
            changed=changed,
        )
        key_id = cls.id_for(actor, key)
        return cls._create(cls.RecordedOnOrder, id=key_id, payload=payload, timestamp=at)

    def check(self, fingerprint: str) -> None:
        """Refuse a retry whose content differs from the command first run with this key."""
        if fingerprint != self.fingerprint:
            raise IdempotencyConflict(self.key)
