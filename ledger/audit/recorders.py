"""Event-store recorders that keep the checkpoint of chain heads in the insert's transaction.

`ledger_chain_heads` holds, per refund, the version of its newest stored event and the SHA-256
of that event's stored state. It is written in the same transaction as the events, so removing
a refund's newest events, or a whole refund, leaves a checkpoint that no longer matches.

The command path, as profiled: concurrent saves of one process share a transaction (group
commit, `ledger/group_commit.py`); on PostgreSQL a save is one call of a database function
that does what the library's insert does (heads, the EXCLUSIVE table lock that keeps the
notification log in commit order, NOTIFY, the events) in one round trip; `select_many`
loads several aggregates with one query."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from eventsourcing.persistence import InterfaceError, OperationalError, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.sqlite import SQLiteApplicationRecorder
from eventsourcing.utils import get_topic, retry
from psycopg.sql import SQL, Identifier

from ledger.domain.refund_events import CHAINED_EVENTS
from ledger.group_commit import GroupCommit

if TYPE_CHECKING:
    from uuid import UUID

    from eventsourcing.postgres import PostgresDatastore
    from eventsourcing.sqlite import SQLiteCursor
    from psycopg import Cursor
    from psycopg.rows import DictRow

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
        """Concurrent saves of one process share a transaction (see ledger/group_commit.py)."""
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


class ChainedPostgresApplicationRecorder(PostgresApplicationRecorder):
    def __init__(
        self, datastore: PostgresDatastore, *, events_table_name: str = "stored_events"
    ) -> None:
        super().__init__(datastore, events_table_name=events_table_name)
        self.checkpoint_table = Identifier(self.datastore.schema, CHECKPOINT_TABLE)
        self.sql_create_statements.append(
            SQL(
                "CREATE TABLE IF NOT EXISTS {} (originator_id text PRIMARY KEY, "
                "version bigint NOT NULL, state_sha256 text NOT NULL)"
            ).format(self.checkpoint_table)
        )
        self.upsert_head = SQL(
            "INSERT INTO {} (originator_id, version, state_sha256) VALUES (%s, %s, %s) "
            "ON CONFLICT (originator_id) DO UPDATE SET "
            "version = EXCLUDED.version, state_sha256 = EXCLUDED.state_sha256"
        ).format(self.checkpoint_table)

        self.insert_function = Identifier(self.datastore.schema, INSERT_FUNCTION)
        self.sql_create_statements.append(
            SQL(
                "CREATE OR REPLACE FUNCTION {function}(ids {id_type}[], versions bigint[], "
                "topics text[], states bytea[], "
                "head_ids text[], head_versions bigint[], head_digests text[]) "
                "RETURNS SETOF bigint LANGUAGE plpgsql AS $BODY$ "
                "BEGIN "
                "SET LOCAL lock_timeout = '{lock_timeout}s'; "
                "INSERT INTO {heads} (originator_id, version, state_sha256) "
                "SELECT * FROM unnest(head_ids, head_versions, head_digests) "
                "ON CONFLICT (originator_id) DO UPDATE SET "
                "version = EXCLUDED.version, state_sha256 = EXCLUDED.state_sha256; "
                "LOCK TABLE {events} IN EXCLUSIVE MODE; "
                "NOTIFY {channel}; "
                "RETURN QUERY INSERT INTO {events} AS t "
                "(originator_id, originator_version, topic, state) "
                "SELECT * FROM unnest(ids, versions, topics, states) "
                "RETURNING notification_id; "
                "END; $BODY$"
            ).format(
                function=self.insert_function,
                id_type=Identifier(self.datastore.originator_id_type),
                lock_timeout=self.datastore.lock_timeout,
                heads=self.checkpoint_table,
                events=Identifier(self.datastore.schema, self.events_table_name),
                channel=Identifier(self.channel_name),
            )
        )
        self.call_insert_function = SQL("SELECT {}(%b, %b, %b, %b, %b, %b, %b) AS id").format(
            self.insert_function
        )
        self.group_commit = GroupCommit(self._insert_in_one_statement)
        self.select_many_statement = SQL(
            "SELECT originator_id, originator_version, topic, state FROM {} "
            "WHERE originator_id = ANY(%s) ORDER BY originator_id, originator_version"
        ).format(Identifier(self.datastore.schema, self.events_table_name))

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def select_many(self, originator_ids: Sequence[UUID]) -> list[StoredEvent]:
        """Every stored event of several aggregates in one query (one round trip where the
        library makes one per aggregate), each one's in order."""
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self.select_many_statement, (list(originator_ids),), prepare=True)
            return [
                StoredEvent(
                    originator_id=row["originator_id"],
                    originator_version=row["originator_version"],
                    topic=row["topic"],
                    state=bytes(row["state"]),
                )
                for row in curs.fetchall()
            ]

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        """Concurrent saves of one process share a transaction (see ledger/group_commit.py)."""
        if kwargs.get("tracking") is not None or not stored_events:
            ids: Sequence[int] | None = super().insert_events(stored_events, **kwargs)
            return ids
        return self.group_commit.insert(stored_events)

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def _insert_in_one_statement(self, stored_events: Sequence[StoredEvent]) -> Sequence[int]:
        """The library's insert (heads first, then the table lock that keeps the notification
        log in commit order, NOTIFY, the events) as one function call: one round trip, one
        transaction, where the library's pipeline makes several."""
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self.call_insert_function, self.insert_params(stored_events), prepare=True)
            return [row["id"] for row in curs.fetchall()]

    @staticmethod
    def insert_params(stored_events: Sequence[StoredEvent]) -> tuple[list[Any], ...]:
        """The insert function's arguments: the events and their chain heads as parallel
        arrays, sent in binary (profiled: the composite type's text dumper, escaping each
        state, cost more than the rest of the insert)."""
        heads = chain_heads(stored_events)
        return (
            [e.originator_id for e in stored_events],
            [e.originator_version for e in stored_events],
            [e.topic for e in stored_events],
            [e.state for e in stored_events],
            [h[0] for h in heads],
            [h[1] for h in heads],
            [h[2] for h in heads],
        )

    def _insert_events(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> None:
        # The library's path (saves with tracking): in the insert's transaction, before the
        # events themselves.
        heads = chain_heads(stored_events)
        if heads:
            curs.executemany(self.upsert_head, heads)
        super()._insert_events(curs, stored_events, **kwargs)

    def select_checkpoint(self) -> dict[str, tuple[int, str]]:
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(
                SQL("SELECT originator_id, version, state_sha256 FROM {}").format(
                    self.checkpoint_table
                )
            )
            return {
                row["originator_id"]: (row["version"], row["state_sha256"])
                for row in curs.fetchall()
            }
