"""Idempotency keys of commands: what a caller passes, and what the application records.

A caller passes `Keyed(key)` with a command. The application saves the key with the
command's events (`ledger.domain.command_key.CommandKey`), so a retry with the same key,
whatever happened in between, finds it and gets the first result back; `replayed` then tells
the caller that this result is the first one, returned again (HTTP: `Idempotent-Replayed`).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from uuid import UUID

from ledger.domain.actor import Actor
from ledger.domain.command_key import CommandKey


@dataclass
class Keyed:
    """A command's idempotency key; after the call, whether the first result was returned."""

    key: str
    replayed: bool = False


@dataclass(frozen=True)
class KeyUse:
    """A key given to one command: whose, which command, and a fingerprint of its content."""

    keyed: Keyed
    actor: Actor
    command: str
    fingerprint: str
    id: UUID = field(init=False)  # the key's aggregate, worked out once

    def __post_init__(self) -> None:
        object.__setattr__(self, "id", CommandKey.id_for(self.actor, self.keyed.key))


def key_use(
    keyed: Keyed | None, actor: Actor, command: str, refund_id: UUID, *content: object
) -> KeyUse | None:
    """The key's use by `command` on `refund_id` with `content`, or None without a key."""
    if keyed is None:
        return None
    return KeyUse(keyed, actor, command, fingerprint(command, refund_id, *content))


def fingerprint(command: str, refund_id: UUID, *content: object) -> str:
    """The sha256 (hex) of a command, its refund and its content: a retry with the same key
    and other content is refused."""
    parts = [command, str(refund_id), *(None if c is None else str(c) for c in content)]
    encoded = json.dumps(parts, separators=(",", ":"))
    return hashlib.sha256(encoded.encode()).hexdigest()


def actor_scoped(actor: Actor, key: str | None) -> str | None:
    """The application's key for an interface's key that belongs to the actor who sent it
    (HTTP's `Idempotency-Key`): the application collapses one key across actors, so the
    actor's digest goes into it."""
    if key is None:
        return None
    digest = hashlib.sha256(f"{actor}\n{key}".encode()).hexdigest()[:16]
    return f"{key.strip()[:80]}#{digest}"
