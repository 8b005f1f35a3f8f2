"""The first response to each `Idempotency-Key`, kept so that a retry gets it back as it was.

For a POST with the header, the HTTP layer reserves (scope, key) with a fingerprint of the
request before it runs the command, then completes the row with the response it sent, or
releases it when that response is not one to keep (a refusal of the actor, an input error,
a server failure: `api.idempotency.kept_status`). A retry of the same request gets
the stored response byte for byte; the same key on another request is a Mismatch; a row
older than `keep_for` is forgotten (reserved afresh, and deleted by `purge`).

A reservation names its owner, the server process that runs it (`owners.py`). A retry while
the key is pending is InProgress as long as that owner lives and renews its lease; it is
Reserved (the key taken over) as soon as the owner is found dead, when the lease has not been
renewed for `stale_after`, or when the owner is this process and no request of it runs the
key any more (its answer was not kept). A pending row of a version that named no owner is
taken over once it is older than `stale_after`.

Reserving a new key is one INSERT that commits by itself; a key already there is decided in
a write transaction. On SQLite it begins IMMEDIATE, so reservations run one at a time; on
PostgreSQL the insert waits on a concurrent insert of the same key and the row is read FOR
UPDATE, so of two racing requests exactly one is Reserved. Within a process, a key is
claimed in memory before the database is asked, so two of its requests never both run it.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from psycopg import sql

from ledger.store.owners import (
    GONE_SQL,
    Heartbeat,
    LockHolder,
    Owner,
    Running,
    gone_from_this_machine,
    this_process,
)
from ledger.store.replay_outcomes import (
    InProgress,
    Mismatch,
    Outcome,
    Replay,
    Reserved,
    StoredResponse,
    fingerprint,
)
from ledger.store.replay_schema import SCHEMA_NAME, TABLE, add_owner_columns, replay_schema
from ledger.store.tracking import Db, PostgresViews, ViewStore, fixed

__all__ = ["TABLE", "InProgress", "Mismatch", "Outcome", "Replay", "ReplayStore", "Reserved"]
__all__ += ["StoredResponse", "fingerprint"]  # the outcomes, imported from here as before
INSERT_ATTEMPTS = 3  # the row met by the insert may be released before it is read: again


class ReplayStore:
    """Reservations and stored responses of `Idempotency-Key`s, in the ledger's database,
    for one owner (one per server process): close it when the process stops serving."""

    def __init__(
        self,
        store: ViewStore,
        clock: Callable[[], datetime],
        stale_after: timedelta = timedelta(seconds=60),
        keep_for: timedelta = timedelta(hours=24),
        owner: Owner | None = None,
        renews: bool = True,
    ) -> None:
        """`owner` defaults to this process; without `renews` no thread renews the leases
        (a test then calls `renew()` itself)."""
        self.store, self.clock = store, clock
        self.stale_after, self.keep_for = stale_after, keep_for
        self.table = sql.Identifier(TABLE)
        self.postgres = isinstance(store, PostgresViews)
        # PostgreSQL locks the row it decides on; SQLite's write transaction holds the database
        self.lock = sql.SQL(" FOR UPDATE" if self.postgres else "")
        self.insert_sql = fixed(
            sql.SQL(
                "INSERT INTO {} (scope, idempotency_key, fingerprint, created_at, owner, "
                "renewed_at) VALUES (%s, %s, %s, %s, %s, %s) "
                "ON CONFLICT DO NOTHING RETURNING scope"
            ).format(self.table)
        )
        self.complete_sql = fixed(
            sql.SQL(
                "UPDATE {} SET completed_at = %s, status = %s, headers = %s, body = %s "
                "WHERE scope = %s AND idempotency_key = %s AND completed_at IS NULL"
            ).format(self.table)
        )
        self.release_sql = fixed(
            sql.SQL(
                "DELETE FROM {} WHERE scope = %s AND idempotency_key = %s AND completed_at IS NULL"
            ).format(self.table)
        )
        store.ensure(SCHEMA_NAME, replay_schema(self.postgres))
        add_owner_columns(store, self.postgres)
        self.owner = owner or this_process()
        self.me = self.owner.dumps()
        self.running = Running()  # the keys this owner's requests run
        self.holder = LockHolder.on(store, self.owner) if isinstance(store, PostgresViews) else None
        every = stale_after.total_seconds() / 4
        self.heartbeat = Heartbeat(every, self.renew) if renews else None

    def close(self) -> None:
        """Stop renewing, and let go of the owner's lock (its pending keys may be taken)."""
        if self.heartbeat is not None:
            self.heartbeat.stop()
        if self.holder is not None:
            self.holder.close()

    def reserve(self, scope: str, key: str, fingerprint: str) -> Outcome:
        """Claim (scope, key) for the request with `fingerprint`, or say what the key holds."""
        here = self.running.claim(scope, key)  # no other request of this process runs it
        outcome: Outcome = InProgress()
        try:
            outcome = self._reserve(scope, key, fingerprint, here)
        finally:
            if here and not isinstance(outcome, Reserved):
                self.running.done(scope, key)
        return outcome

    def complete(self, scope: str, key: str, response: StoredResponse) -> None:
        """Store the response of the reserved request (a no-op unless the row is pending)."""
        headers = json.dumps([list(pair) for pair in response.headers])
        try:
            with self.store.single() as db:
                db.execute(
                    self.complete_sql,
                    (_stamp(self.clock()), response.status, headers, response.body, scope, key),
                )
        finally:  # only now: until the row says done, a request of ours would take it over
            self.running.done(scope, key)

    def release(self, scope: str, key: str) -> None:
        """Forget a pending reservation, so that a retry runs the command again."""
        try:
            with self.store.single() as db:
                db.execute(self.release_sql, (scope, key))
        finally:
            self.running.done(scope, key)

    def renew(self) -> None:
        """Renew the lease of every key this owner runs; on PostgreSQL, see that the owner's
        lock is still held (taken again after a lost connection). The heartbeat's beat."""
        keys = self.running.keys()
        if keys:
            now = _stamp(self.clock())
            with self.store.writing() as db:
                db.executemany(
                    sql.SQL(
                        "UPDATE {} SET renewed_at = %s WHERE scope = %s AND idempotency_key = %s "
                        "AND owner = %s AND completed_at IS NULL"
                    ).format(self.table),
                    [(now, scope, key, self.me) for scope, key in keys],
                )
        if self.holder is not None:
            self.holder.check()

    def purge(self) -> int:
        """Delete the rows older than `keep_for`; return how many."""
        with self.store.writing() as db:
            deleted = db.rows(
                sql.SQL("DELETE FROM {} WHERE created_at < %s RETURNING scope").format(self.table),
                (_stamp(self.clock() - self.keep_for),),
            )
        return len(deleted)

    def _reserve(self, scope: str, key: str, fingerprint: str, here: bool) -> Outcome:
        now = self.clock()
        if here:
            with self.store.single() as db:  # a new key (the usual case): one statement
                if self._insert(db, scope, key, fingerprint, now):
                    return Reserved()
        with self.store.writing() as db:
            claimed = self._claim(db, scope, key, fingerprint, now, here)
            if not isinstance(claimed, dict):
                return claimed
            outcome = self._judge(db, claimed, fingerprint, now, here)
            if isinstance(outcome, Reserved):
                if not here:  # another request of this process is taking it: let it
                    return InProgress()
                self._restart(db, scope, key, fingerprint, now)
            return outcome

    def _claim(
        self, db: Db, scope: str, key: str, fingerprint: str, now: datetime, here: bool
    ) -> dict[str, Any] | Reserved | InProgress:
        """A new pending row (Reserved), or the row already there, locked until the commit."""
        for _ in range(INSERT_ATTEMPTS):
            if here and self._insert(db, scope, key, fingerprint, now):
                return Reserved()
            row = self._locked_row(db, scope, key)
            if row is not None:
                return row
            if not here:
                break  # another request of this process is reserving it right now
        return InProgress()  # reserved and released by others between each of our attempts

    def _insert(self, db: Db, scope: str, key: str, fingerprint: str, now: datetime) -> bool:
        inserted = db.rows(
            self.insert_sql, (scope, key, fingerprint, _stamp(now), self.me, _stamp(now))
        )
        return bool(inserted)

    def _locked_row(self, db: Db, scope: str, key: str) -> dict[str, Any] | None:
        found = db.rows(
            sql.SQL(
                "SELECT fingerprint, created_at, completed_at, status, headers, body, owner, "
                "renewed_at FROM {} WHERE scope = %s AND idempotency_key = %s{}"
            ).format(self.table, self.lock),
            (scope, key),
        )
        return found[0] if found else None

    def _judge(
        self, db: Db, row: dict[str, Any], fingerprint: str, now: datetime, here: bool
    ) -> Outcome:
        age = now - datetime.fromisoformat(row["created_at"])
        if age > self.keep_for:
            return Reserved()  # forgotten: whatever it held, the key starts afresh
        if row["fingerprint"] != fingerprint:
            return Mismatch()
        if row["completed_at"] is not None:
            return Replay(_response(row))
        if row["owner"] == self.me:  # ours: still running, or it ended without its answer kept
            return Reserved() if here else InProgress()
        owner = Owner.loads(row["owner"]) if row["owner"] else None
        if owner is None:  # reserved by a version that named no owner: its age decides
            left = self.stale_after - age
            return Reserved() if left < timedelta(0) else InProgress(_seconds(left))
        renewed = datetime.fromisoformat(row["renewed_at"] or row["created_at"])
        if now - renewed > self.stale_after or self._gone(db, owner):
            return Reserved()  # its process died, or stopped renewing its lease
        return InProgress()

    def _gone(self, db: Db, owner: Owner) -> bool:
        """Whether the owner's process is known to be dead (not: known to live)."""
        if self.postgres:
            found = db.rows(sql.SQL(GONE_SQL), (owner.token, owner.token))
            return bool(found[0]["gone"])
        return gone_from_this_machine(owner)

    def _restart(self, db: Db, scope: str, key: str, fingerprint: str, now: datetime) -> None:
        db.execute(
            sql.SQL(
                "UPDATE {} SET fingerprint = %s, created_at = %s, completed_at = NULL, "
                "status = NULL, headers = NULL, body = NULL, owner = %s, renewed_at = %s "
                "WHERE scope = %s AND idempotency_key = %s"
            ).format(self.table),
            (fingerprint, _stamp(now), self.me, _stamp(now), scope, key),
        )


def _seconds(span: timedelta) -> int:
    """A wait in whole seconds, at least 1 (a Retry-After)."""
    return max(1, math.ceil(span.total_seconds()))


def _stamp(moment: datetime) -> str:
    """UTC, always with microseconds: the text sorts as the moments do (purge compares it)."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def _response(row: dict[str, Any]) -> StoredResponse:
    headers = tuple((str(name), str(value)) for name, value in json.loads(row["headers"]))
    return StoredResponse(status=int(row["status"]), headers=headers, body=bytes(row["body"]))
