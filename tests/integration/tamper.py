"""Direct edits to the event store, as somebody with database access could make them.

The library keeps events in `stored_events` on SQLite (originator ids as hex) and in
`refundledger_events` on PostgreSQL (the application's name, lower case, + `_events`).
"""

from __future__ import annotations

import sqlite3
from typing import Any
from uuid import UUID

import psycopg

from ledger.config import persistence_env
from ledger.store.recorders import CHECKPOINT_TABLE


class Tamper:
    def __init__(self, database_url: str) -> None:
        self.url = database_url
        self.postgres = database_url.startswith("postgres")
        self.table = "refundledger_events" if self.postgres else "stored_events"

    def _execute(self, statement: str, *params: Any) -> list[Any]:
        if self.postgres:
            with psycopg.connect(self.url, autocommit=True) as conn:
                cursor = conn.execute(statement.replace("?", "%s").encode(), params)
                return cursor.fetchall() if cursor.description else []
        lite = sqlite3.connect(persistence_env(self.url)["SQLITE_DBNAME"])
        try:
            with lite:
                return lite.execute(statement, params).fetchall()
        finally:
            lite.close()

    def _id(self, refund_id: object) -> object:
        uuid = UUID(str(refund_id))
        return uuid if self.postgres else uuid.hex

    def state(self, refund_id: object, version: int) -> bytes:
        rows = self._execute(
            f"SELECT state FROM {self.table} WHERE originator_id = ? AND originator_version = ?",
            self._id(refund_id),
            version,
        )
        return bytes(rows[0][0])

    def set_state(self, refund_id: object, version: int, state: bytes) -> None:
        self._execute(
            f"UPDATE {self.table} SET state = ? WHERE originator_id = ? AND originator_version = ?",
            state,
            self._id(refund_id),
            version,
        )

    def replace_text(self, refund_id: object, version: int, old: str, new: str) -> None:
        state = self.state(refund_id, version)
        assert old.encode() in state, state
        self.set_state(refund_id, version, state.replace(old.encode(), new.encode(), 1))

    def flip_byte(self, refund_id: object, version: int, offset: int) -> None:
        state = bytearray(self.state(refund_id, version))
        state[offset] ^= 0x01
        self.set_state(refund_id, version, bytes(state))

    def delete(self, refund_id: object, version: int | None = None) -> None:
        statement = f"DELETE FROM {self.table} WHERE originator_id = ?"
        params: list[Any] = [self._id(refund_id)]
        if version is not None:
            statement += " AND originator_version = ?"
            params.append(version)
        self._execute(statement, *params)

    def delete_checkpoint(self, refund_id: object) -> None:
        self._execute(f"DELETE FROM {CHECKPOINT_TABLE} WHERE originator_id = ?", str(refund_id))

    def copy(self, refund_id: object, version: int, to: int) -> None:
        """Insert a copy of an event's row as another version."""
        self._execute(
            f"INSERT INTO {self.table} (originator_id, originator_version, topic, state) "
            f"SELECT originator_id, ?, topic, state FROM {self.table} "
            "WHERE originator_id = ? AND originator_version = ?",
            to,
            self._id(refund_id),
            version,
        )

    def insert_at(
        self, notification_id: int, originator_id: object, version: int, topic: str, state: bytes
    ) -> None:
        """Insert an event row under a notification id of one's choosing (a freed one)."""
        column = "notification_id" if self.postgres else "rowid"
        self._execute(
            f"INSERT INTO {self.table} ({column}, originator_id, originator_version, topic, "
            "state) VALUES (?, ?, ?, ?, ?)",
            notification_id,
            self._id(originator_id),
            version,
            topic,
            state,
        )

    def swap(self, refund_id: object, a: int, b: int) -> None:
        """Swap two events' places: their originator_version values."""
        for old, new in ((a, -1), (b, a), (-1, b)):
            self._execute(
                f"UPDATE {self.table} SET originator_version = ? "
                "WHERE originator_id = ? AND originator_version = ?",
                new,
                self._id(refund_id),
                old,
            )
