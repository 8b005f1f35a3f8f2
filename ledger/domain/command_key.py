"""The idempotency key of a command, recorded in the command's own transaction.

A command given a key saves a `CommandKey` with its events, in the same atomic save: either
both are stored or neither is. A retry with the same key (by the same actor) finds it and gets
the first result back (the refund as that command left it) instead of running again, whatever
happened to the process in between. The same key given to other content is refused.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate

from ledger.domain import events as e
from ledger.domain.actor import Actor
from ledger.domain.errors import IdempotencyConflict
from ledger.domain.ids import LEDGER_NAMESPACE


class CommandKey(Aggregate):
    """One actor's key for one command: what it ran on, and the refund version it left."""

    class Recorded(Aggregate.Created):
        payload: e.CommandKeyRecorded

    def __init__(self, payload: e.CommandKeyRecorded) -> None:
        self.actor = payload.actor
        self.key = payload.key
        self.command = payload.command
        self.fingerprint = payload.fingerprint
        self.refund_id = UUID(payload.refund_id)
        self.version = payload.version

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
        """The key of a command that just ran; `key_id`, when the caller has it, is
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

    def check(self, fingerprint: str) -> None:
        """Refuse a retry whose content differs from the command first run with this key."""
        if fingerprint != self.fingerprint:
            raise IdempotencyConflict(self.key)
