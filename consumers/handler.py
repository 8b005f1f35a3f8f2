"""What a consumer does with messages: its tables, and its effect inside the runner's transaction.

The runner (consumers/runner.py) owns Kafka, the dead-letter topic, deduplication and
offsets: per polled batch it opens one database transaction, skips messages whose
(source, id) it has seen, calls `handle` for the others, commits, and only then commits the
offsets and calls `after_commit`.

A handler may also have `handle_many(db, messages)`: the effect of several new messages at
once, exactly as `handle` for each in order would have it (e.g. with batched statements).
The runner then calls it once per batch instead of `handle`. A handler may also have
`tick(store, producer)`, called before every poll (about three times a second), for work of
its own pace, such as the compliance consumer's witness.
"""

from __future__ import annotations

from typing import Any, ClassVar, Protocol

from psycopg import sql

from consumers.messages import Delivered
from ledger.store.tracking import Db, ViewStore


class Handler(Protocol):
    name: ClassVar[str]  # "finance", "compliance": the default group id and the dedupe key

    def schema(self, postgres: bool) -> list[sql.Composable]:
        """CREATE statements of the consumer's own tables (idempotent)."""
        ...

    def handle(self, db: Db, message: Delivered) -> None:
        """Apply one new message inside the open transaction (raise to refuse it)."""
        ...

    def after_commit(self, store: ViewStore, producer: Any) -> None:
        """Work that must follow a commit, e.g. publishing stored alerts (an outbox)."""
        ...
