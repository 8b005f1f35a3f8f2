"""Event-store recorders that keep the checkpoint of chain heads in the insert's transaction.

`ledger_chain_heads` holds, per refund, the version of its newest stored event and the SHA-256
of that event's stored state. It is written in the same transaction as the events, so removing
a refund's newest events, or a whole refund, leaves a checkpoint that no longer matches.

The command path, as profiled: concurrent saves of one process share a transaction (group
commit, `ledger/store/group_commit.py`); on PostgreSQL a save is one call of a database function
that does what the library's insert does (heads, the EXCLUSIVE table lock that keeps the
notification log in commit order, NOTIFY, the events) in one round trip; `select_many`
loads several aggregates with one query. The PostgreSQL recorder is in
`ledger/store/postgres_recorder.py`, so that a run on SQLite never loads psycopg for it."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from eventsourcing.persistence import StoredEvent
from eventsourcing.sqlite import SQLiteApplicationRecorder
from eventsourcing.utils import get_topic

from ledger.domain.refund_events import CHAINED_EVENTS
from ledger.store.group_commit import GroupCommit

if TYPE_CHECKING:
    from uuid import UUID

    from eventsourcing.sqlite import SQLiteCursor

CHECKPOINT_TABLE = "ledger_chain_heads"
INSERT_FUNCTION = "ledger_insert_events"
CHAINED_TOPICS = frozenset(get_topic(cls) for cls in CHAINED_EVENTS)


def state_digest(state: bytes) -> str:
    return hashlib.sha256(state).hexdigest()


def chain_heads(stored_events: Sequence[StoredEvent]) -> list[tuple[str, int, str]]:
    """(refund id, newest version, digest of its state) per refund in a batch, sorted by id.

    Sorted, so that concurrent writers take the checkpoint's row locks in one order.
    """
    heads: dict[str, tuple[int, str]] = {}
    for stored in stored_events:
        if stored.topic not in CHAINED_TOPICS:
            continue
        key = str(stored.originator_id)
        if key not in heads or heads[key][0] < stored.originator_version:
            heads[key] = (stored.originator_version, state_digest(stored.state))
    return [(key, *heads[key]) for key in sorted(heads)]


class ChainedSQLiteApplicationRecorder(SQLiteApplicationRecorder):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.group_commit = GroupCommit(super().insert_events)

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        """Concurrent saves of one process share a transaction (ledger/store/group_commit.py)."""
        if kwargs.get("tracking") is not None or not stored_events:
            return super().insert_events(stored_events, **kwargs)
        return self.group_commit.insert(stored_events)

    def construct_create_table_statements(self) -> list[str]:
        return [
            *super().construct_create_table_statements(),
            f"CREATE TABLE IF NOT EXISTS {CHECKPOINT_TABLE} ("
            "originator_id TEXT PRIMARY KEY, version INTEGER NOT NULL, "
            "state_sha256 TEXT NOT NULL)",
        ]

    def _insert_events(
        self, c: SQLiteCursor, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        returning = super()._insert_events(c, stored_events, **kwargs)
        for head in chain_heads(stored_events):
            c.execute(
                f"INSERT INTO {CHECKPOINT_TABLE} (originator_id, version, state_sha256) "
                "VALUES (?, ?, ?) ON CONFLICT (originator_id) DO UPDATE SET "
                "version = excluded.version, state_sha256 = excluded.state_sha256",
                head,
            )
        return returning

    def select_many(self, originator_ids: Sequence[UUID]) -> list[StoredEvent]:
        """Every stored event of several aggregates in one query, each one's in order."""
        marks = ", ".join("?" * len(originator_ids))
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT originator_id, originator_version, topic, state FROM "
                f"{self.events_table_name} WHERE originator_id IN ({marks}) "
                "ORDER BY originator_id, originator_version",
                [i.hex for i in originator_ids],
            )
            return [
                StoredEvent(
                    originator_id=self.convert_originator_id(row["originator_id"]),
                    originator_version=row["originator_version"],
                    topic=row["topic"],
                    state=row["state"],
                )
                for row in c.fetchall()
            ]

    def select_checkpoint(self) -> dict[str, tuple[int, str]]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(f"SELECT originator_id, version, state_sha256 FROM {CHECKPOINT_TABLE}")
            return {
                str(self.convert_originator_id(row[0])): (row[1], row[2]) for row in c.fetchall()
            }
