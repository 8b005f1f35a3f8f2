"""The PostgreSQL recorder that keeps the checkpoint of chain heads in the insert's
transaction (see `ledger/store/recorders.py`): a save is one call of a database function
that does what the library's insert does, in one round trip."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from eventsourcing.persistence import InterfaceError, OperationalError, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.utils import retry
from psycopg.sql import SQL, Identifier

from ledger.store.group_commit import GroupCommit
from ledger.store.recorders import CHECKPOINT_TABLE, INSERT_FUNCTION, chain_heads
from ledger.store.writable import probe_table_statement

if TYPE_CHECKING:
    from uuid import UUID

    from eventsourcing.postgres import PostgresDatastore
    from psycopg import Cursor
    from psycopg.rows import DictRow


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

        self.sql_create_statements.append(probe_table_statement(self.datastore.schema))
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
        # rendered once: psycopg renders a composed statement again at every execution
        self.call_insert_function = (
            SQL("SELECT {}(%b, %b, %b, %b, %b, %b, %b) AS id")
            .format(self.insert_function)
            .as_bytes(None)
        )
        self.group_commit = GroupCommit(self._insert_in_one_statement)
        self.select_many_statement = (
            SQL(
                "SELECT originator_id, originator_version, topic, state FROM {} "
                "WHERE originator_id = ANY(%s) ORDER BY originator_id, originator_version"
            )
            .format(Identifier(self.datastore.schema, self.events_table_name))
            .as_bytes(None)
        )

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
        """Concurrent saves of one process share a transaction (ledger/store/group_commit.py)."""
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
