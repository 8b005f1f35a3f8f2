"""The first response to each `Idempotency-Key`, kept so that a retry gets it back as it was.

For a POST with the header, the HTTP layer reserves (scope, key) with a fingerprint of the
request before it runs the command, then completes the row with the response it sent, or
releases it when that response is not one to keep (a refusal of the actor, an input error,
a server failure: `api.idempotency.kept_status`). A retry of the same request gets
the stored response byte for byte; the same key on another request is a Mismatch; a retry
while the first request is still running is InProgress. A pending row older than
`stale_after` was left by a process that died mid-request and is taken over; a row older
than `keep_for` is forgotten (reserved afresh, and deleted by `purge`).

Reserving a new key is one INSERT that commits by itself; a key already there is decided in
a write transaction. On SQLite it begins IMMEDIATE, so reservations run one at a time; on
PostgreSQL the insert waits on a concurrent insert of the same key and the row is read FOR
UPDATE, so of two racing requests exactly one is Reserved.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from psycopg import sql

from ledger.projections.store import Db, PostgresViews, ViewStore, open_store

if TYPE_CHECKING:
    from ledger.app.service import RefundLedger

TABLE = "api_idempotency"
SCHEMA_NAME = "api.idempotency"
INSERT_ATTEMPTS = 3  # the row met by the insert may be released before it is read: again


@dataclass(frozen=True)
class StoredResponse:
    """A response as the client received it: status, headers (name, value) and the body."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes


@dataclass(frozen=True)
class Reserved:
    """The key is yours: run the command, then `complete()` or `release()`."""


@dataclass(frozen=True)
class Replay:
    """The request was answered before: return this response as it is."""

    response: StoredResponse


@dataclass(frozen=True)
class Mismatch:
    """The key was used for a different request (409)."""


@dataclass(frozen=True)
class InProgress:
    """The first request with this key is still running (409)."""


Outcome = Reserved | Replay | Mismatch | InProgress


def fingerprint(method: str, path: str, body: bytes) -> str:
    """The sha256 (hex) of the method, the path with its query and the body.

    A JSON body counts in its canonical form, so whitespace and key order do not matter.
    """
    digest = hashlib.sha256()
    for part in (method.upper().encode(), path.encode(), _canonical(body)):
        digest.update(len(part).to_bytes(8, "big"))  # lengths first: parts cannot run together
        digest.update(part)
    return digest.hexdigest()


def _canonical(body: bytes) -> bytes:
    """A JSON body with sorted keys and no spaces; any other body as it is.

    Canonical JSON is always valid JSON, so no raw body can take the form of a JSON one.
    """
    try:
        parsed = json.loads(body)
        return json.dumps(parsed, sort_keys=True, separators=(",", ":")).encode()
    except (ValueError, RecursionError):  # not JSON (or not UTF-8), or nested too deep
        return body


def replay_schema(postgres: bool) -> list[sql.Composable]:
    """The table, one row per (scope, key): pending while `completed_at` is NULL."""
    table = sql.Identifier(TABLE)
    return [
        sql.SQL(
            "CREATE TABLE IF NOT EXISTS {} ("
            "scope TEXT NOT NULL, idempotency_key TEXT NOT NULL, fingerprint TEXT NOT NULL, "
            "created_at TEXT NOT NULL, completed_at TEXT, status INTEGER, headers TEXT, "
            "body {}, PRIMARY KEY (scope, idempotency_key))"
        ).format(table, sql.SQL("BYTEA" if postgres else "BLOB")),
        sql.SQL("CREATE INDEX IF NOT EXISTS {} ON {} (created_at)").format(
            sql.Identifier(f"{TABLE}_created_at"), table
        ),
    ]


class ReplayStore:
    """Reservations and stored responses of `Idempotency-Key`s, in the ledger's database."""

    def __init__(
        self,
        store: ViewStore,
        clock: Callable[[], datetime],
        stale_after: timedelta = timedelta(seconds=60),
        keep_for: timedelta = timedelta(hours=24),
    ) -> None:
        self.store, self.clock = store, clock
        self.stale_after, self.keep_for = stale_after, keep_for
        self.table = sql.Identifier(TABLE)
        postgres = isinstance(store, PostgresViews)
        # PostgreSQL locks the row it decides on; SQLite's write transaction holds the database
        self.lock = sql.SQL(" FOR UPDATE" if postgres else "")
        store.ensure(SCHEMA_NAME, replay_schema(postgres))

    @classmethod
    def open(cls, app: RefundLedger) -> ReplayStore:
        """The store on the application's database, on the application's clock."""
        return cls(open_store(app), app.clock)

    def reserve(self, scope: str, key: str, fingerprint: str) -> Outcome:
        """Claim (scope, key) for the request with `fingerprint`, or say what the key holds."""
        now = self.clock()
        with self.store.single() as db:  # a new key (the usual case): one statement
            if self._insert(db, scope, key, fingerprint, now):
                return Reserved()
        with self.store.writing() as db:
            claimed = self._claim(db, scope, key, fingerprint, now)
            if not isinstance(claimed, dict):
                return claimed
            outcome = self._judge(claimed, fingerprint, now)
            if isinstance(outcome, Reserved):
                self._restart(db, scope, key, fingerprint, now)
            return outcome

    def complete(self, scope: str, key: str, response: StoredResponse) -> None:
        """Store the response of the reserved request (a no-op unless the row is pending)."""
        headers = json.dumps([list(pair) for pair in response.headers])
        with self.store.single() as db:
            db.execute(
                sql.SQL(
                    "UPDATE {} SET completed_at = %s, status = %s, headers = %s, body = %s "
                    "WHERE scope = %s AND idempotency_key = %s AND completed_at IS NULL"
                ).format(self.table),
                (_stamp(self.clock()), response.status, headers, response.body, scope, key),
            )

    def release(self, scope: str, key: str) -> None:
        """Forget a pending reservation, so that a retry runs the command again."""
        with self.store.single() as db:
            db.execute(
                sql.SQL(
                    "DELETE FROM {} "
                    "WHERE scope = %s AND idempotency_key = %s AND completed_at IS NULL"
                ).format(self.table),
                (scope, key),
            )

    def purge(self) -> int:
        """Delete the rows older than `keep_for`; return how many."""
        with self.store.writing() as db:
            deleted = db.rows(
                sql.SQL("DELETE FROM {} WHERE created_at < %s RETURNING scope").format(self.table),
                (_stamp(self.clock() - self.keep_for),),
            )
        return len(deleted)

    def _claim(
        self, db: Db, scope: str, key: str, fingerprint: str, now: datetime
    ) -> dict[str, Any] | Reserved | InProgress:
        """A new pending row (Reserved), or the row already there, locked until the commit."""
        for _ in range(INSERT_ATTEMPTS):
            if self._insert(db, scope, key, fingerprint, now):
                return Reserved()
            row = self._locked_row(db, scope, key)
            if row is not None:
                return row
        return InProgress()  # reserved and released by others between each of our attempts

    def _insert(self, db: Db, scope: str, key: str, fingerprint: str, now: datetime) -> bool:
        inserted = db.rows(
            sql.SQL(
                "INSERT INTO {} (scope, idempotency_key, fingerprint, created_at) "
                "VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING RETURNING scope"
            ).format(self.table),
            (scope, key, fingerprint, _stamp(now)),
        )
        return bool(inserted)

    def _locked_row(self, db: Db, scope: str, key: str) -> dict[str, Any] | None:
        found = db.rows(
            sql.SQL(
                "SELECT fingerprint, created_at, completed_at, status, headers, body "
                "FROM {} WHERE scope = %s AND idempotency_key = %s{}"
            ).format(self.table, self.lock),
            (scope, key),
        )
        return found[0] if found else None

    def _judge(self, row: dict[str, Any], fingerprint: str, now: datetime) -> Outcome:
        age = now - datetime.fromisoformat(row["created_at"])
        if age > self.keep_for:
            return Reserved()  # forgotten: whatever it held, the key starts afresh
        if row["fingerprint"] != fingerprint:
            return Mismatch()
        if row["completed_at"] is not None:
            return Replay(_response(row))
        if age > self.stale_after:
            return Reserved()  # its process died between the command and the response
        return InProgress()

    def _restart(self, db: Db, scope: str, key: str, fingerprint: str, now: datetime) -> None:
        db.execute(
            sql.SQL(
                "UPDATE {} SET fingerprint = %s, created_at = %s, completed_at = NULL, "
                "status = NULL, headers = NULL, body = NULL "
                "WHERE scope = %s AND idempotency_key = %s"
            ).format(self.table),
            (fingerprint, _stamp(now), scope, key),
        )


def _stamp(moment: datetime) -> str:
    """UTC, always with microseconds: the text sorts as the moments do (purge compares it)."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def _response(row: dict[str, Any]) -> StoredResponse:
    headers = tuple((str(name), str(value)) for name, value in json.loads(row["headers"]))
    return StoredResponse(status=int(row["status"]), headers=headers, body=bytes(row["body"]))
