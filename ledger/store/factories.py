"""The eventsourcing persistence factories the ledger names in PERSISTENCE_MODULE: the
library's own, with the ledger's timeouts applied to their connection pools.

PostgreSQL: libpq's connect_timeout and the session's statement_timeout go into the pool's
connection arguments (new connections only: the pool opens on first use, after this); the
pool waits `connect` seconds for a free connection and then raises DatabaseUnreachable,
which the library does not retry, and a full disk raises StorageFull, which it does not
retry either (it retries OperationalError, 53100 included, ten times); a connection slot
that cannot reconnect is given up after a few seconds, so that once the server is back the
next request connects at once instead of waiting out the pool's exponential backoff (up to
five minutes by default).
SQLite: the statement timeout bounds the wait for another writer's lock.

These only set attributes that psycopg_pool and eventsourcing document or read on each new
connection; tests/unit/test_storage_factories.py fails when a library upgrade moves them.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import cast

from eventsourcing.persistence import OperationalError
from eventsourcing.postgres import ConnectionPool, PostgresDatastore, PostgresFactory
from eventsourcing.sqlite import SQLiteConnection, SQLiteConnectionPool, SQLiteFactory
from eventsourcing.utils import Environment, EnvType
from psycopg import Connection, errors
from psycopg.rows import DictRow
from psycopg_pool import PoolTimeout

from ledger.store.failures import DatabaseUnreachable, StorageFull
from ledger.store.timeouts import CONNECT_VARIABLE, STATEMENT_VARIABLE, DbTimeouts

POSTGRES_TOPIC = "ledger.store.factories:LedgerPostgresFactory"
SQLITE_TOPIC = "ledger.store.factories:LedgerSQLiteFactory"
# Test-only: every SQLite connection gets `PRAGMA max_page_count = N`, so that a test can
# fill the database as a full disk would, without root (tests/e2e/test_full_disk.py).
MAX_PAGE_COUNT_HOOK = "LEDGER_TEST_SQLITE_MAX_PAGE_COUNT"
RECONNECT_GRACE = 5.0  # seconds a lost connection slot keeps retrying before it is given up


def timeouts_of(env: Environment) -> DbTimeouts:
    return DbTimeouts.from_env(
        {name: env.get(name) or "" for name in (CONNECT_VARIABLE, STATEMENT_VARIABLE)}
    )


class FailFastPool(ConnectionPool[Connection[DictRow]]):
    """The library's pool (psycopg_pool's), whose wait for a connection ends in
    DatabaseUnreachable."""

    def getconn(self, timeout: float | None = None) -> Connection[DictRow]:
        try:
            return super().getconn(timeout)
        except PoolTimeout as error:
            waited = self.timeout if timeout is None else timeout
            raise DatabaseUnreachable(f"no database connection within {waited:g} s") from error


class FailFastDatastore(PostgresDatastore):
    """The library's datastore, whose connections raise StorageFull on a full disk."""

    @contextmanager
    def get_connection(self) -> Iterator[Connection[DictRow]]:
        try:
            with super().get_connection() as connection:
                yield connection
        except OperationalError as error:
            if isinstance(error.__cause__, errors.DiskFull):
                raise StorageFull(str(error)) from error.__cause__
            raise


def tune_postgres(datastore: PostgresDatastore, timeouts: DbTimeouts) -> None:
    datastore.__class__ = FailFastDatastore
    pool = datastore.pool
    pool.__class__ = FailFastPool
    pool.timeout = timeouts.connect
    pool.reconnect_timeout = max(RECONNECT_GRACE, timeouts.connect)
    arguments = pool.kwargs
    assert isinstance(arguments, dict)  # the datastore passes a dict (fingerprinted in tests)
    arguments["connect_timeout"] = timeouts.libpq_connect
    if timeouts.statement:
        arguments["options"] = f"-c statement_timeout={round(timeouts.statement * 1000)}"


class LedgerPostgresFactory(PostgresFactory):
    def __init__(self, env: Environment | EnvType | None) -> None:
        super().__init__(env)
        tune_postgres(self.datastore, timeouts_of(self.env))


class PageLimitedPool(SQLiteConnectionPool):
    """SQLite connections that may not grow the database past `max_page_count` pages."""

    max_page_count = 0

    def _create_connection(self) -> SQLiteConnection:
        connection = super()._create_connection()
        limit_pages(connection._sqlite_conn, self.max_page_count)
        return connection


def limit_pages(connection: sqlite3.Connection, pages: int) -> None:
    if pages:
        connection.execute(f"PRAGMA max_page_count = {int(pages)}")


def page_limit(env: Environment) -> int:
    """The test hook's page count (0: none)."""
    text = (env.get(MAX_PAGE_COUNT_HOOK) or "").strip()
    return int(text) if text.isdigit() else 0


class LedgerSQLiteFactory(SQLiteFactory):
    def __init__(self, env: Environment | EnvType | None) -> None:
        super().__init__(env)
        pool = self.datastore.pool
        # the library declares whole seconds, and passes the value on as sqlite3's `timeout`,
        # which takes fractions too
        pool.lock_timeout = timeouts_of(self.env).sqlite_lock  # type: ignore[assignment]
        self.max_page_count = page_limit(self.env)
        if self.max_page_count:
            pool.__class__ = PageLimitedPool
            cast(PageLimitedPool, pool).max_page_count = self.max_page_count
