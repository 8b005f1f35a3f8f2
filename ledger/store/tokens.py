"""The `api_tokens` table of the ledger's own database: one row per bearer token.

A row keeps only the SHA-256 of the whole token, the actor it stands for, and its times
(ISO 8601 UTC text, the same on SQLite and PostgreSQL). What a token is, who may have one
and when it stops working is the application's (ledger/app/tokens.py).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from eventsourcing.postgres import PostgresDatastore
from psycopg import sql

from ledger.store.tracking import ViewStore, fixed

TABLE = "api_tokens"
_COLUMNS = sql.SQL("id, actor, created_at, expires_at, revoked_at")


def iso(moment: datetime | None) -> str | None:
    """ISO 8601 in UTC with a `Z`, fixed width, so the stored text sorts as time does."""
    if moment is None:
        return None
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def events_of(recorder: Any) -> tuple[sql.Composable, Callable[[UUID], Any]]:
    """The event store's table of `recorder`, and how it keys an aggregate id (PostgreSQL: a
    uuid; SQLite: its hex text)."""
    if isinstance(recorder.datastore, PostgresDatastore):
        table = sql.Identifier(recorder.datastore.schema, recorder.events_table_name)
        return table, lambda aggregate_id: aggregate_id
    return sql.Identifier(recorder.events_table_name), lambda aggregate_id: aggregate_id.hex


def tokens_schema() -> list[sql.Composable]:
    """The token table (the same statement on SQLite and PostgreSQL)."""
    return [
        sql.SQL(
            "CREATE TABLE IF NOT EXISTS {} ("
            "id TEXT PRIMARY KEY, token_sha256 TEXT NOT NULL, actor TEXT NOT NULL, "
            "created_at TEXT NOT NULL, expires_at TEXT, revoked_at TEXT)"
        ).format(sql.Identifier(TABLE))
    ]


class TokenTable:
    """The rows of `api_tokens`, on the views' store (the table is made on first use).
    `events` is the event store's table (and `event_id` how it keys an aggregate id): a
    request's row is read with the number of its token's events, in one statement."""

    def __init__(
        self, store: ViewStore, events: sql.Composable, event_id: Callable[[UUID], Any]
    ) -> None:
        self.store = store
        self.event_id = event_id
        store.ensure("access.tokens", tokens_schema())
        self._select_row = fixed(  # every request's token
            sql.SQL(
                "SELECT {}, token_sha256, (SELECT count(*) FROM {} WHERE originator_id = %s) "
                "AS versions FROM {} WHERE id = %s"
            ).format(_COLUMNS, events, sql.Identifier(TABLE))
        )

    def insert(
        self,
        token_id: str,
        digest: str,
        actor: str,
        created_at: datetime,
        expires_at: datetime | None,
    ) -> None:
        with self.store.writing() as db:
            db.execute(
                sql.SQL(
                    "INSERT INTO {} (id, token_sha256, actor, created_at, expires_at) "
                    "VALUES (%s, %s, %s, %s, %s)"
                ).format(sql.Identifier(TABLE)),
                (token_id, digest, actor, iso(created_at), iso(expires_at)),
            )

    def rows(self) -> list[dict[str, Any]]:
        """Every row but the digest, oldest first."""
        with self.store.reading() as db:
            return db.rows(
                sql.SQL("SELECT {} FROM {} ORDER BY created_at, id").format(
                    _COLUMNS, sql.Identifier(TABLE)
                )
            )

    def revoke(self, token_id: str, at: datetime) -> dict[str, Any] | None:
        """The row with `revoked_at` set to `at` unless it was set before; None: no such row."""
        with self.store.writing() as db:
            rows = db.rows(
                sql.SQL(
                    "UPDATE {} SET revoked_at = COALESCE(revoked_at, %s) WHERE id = %s RETURNING {}"
                ).format(sql.Identifier(TABLE), _COLUMNS),
                (iso(at), token_id),
            )
        return rows[0] if rows else None

    def row(self, token_id: str, aggregate_id: UUID) -> dict[str, Any] | None:
        """The row with its digest (`token_sha256`) and its token's number of events
        (`versions`), or None."""
        with self.store.single() as db:
            rows = db.rows(self._select_row, (self.event_id(aggregate_id), token_id))
        return rows[0] if rows else None

    def every_row(self) -> list[dict[str, Any]]:
        """Every row with its digest (for the check against the events)."""
        with self.store.reading() as db:
            return db.rows(
                sql.SQL("SELECT {}, token_sha256 FROM {} ORDER BY id").format(
                    _COLUMNS, sql.Identifier(TABLE)
                )
            )
