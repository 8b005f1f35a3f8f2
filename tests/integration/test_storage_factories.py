"""The ledger's persistence factories apply its timeouts to the library's pools (this fails
loudly when an upgrade of eventsourcing or psycopg_pool moves what they set)."""

from __future__ import annotations

import pytest
from eventsourcing.persistence import PersistenceError
from eventsourcing.postgres import PostgresFactory
from eventsourcing.sqlite import SQLiteFactory

from ledger.app.commands import RefundRequestIn
from ledger.bootstrap import bootstrap
from ledger.config import Settings
from ledger.domain.actor import Actor
from ledger.store.factories import MAX_PAGE_COUNT_HOOK, FailFastDatastore, FailFastPool
from ledger.store.failures import classify
from ledger.store.timeouts import DbTimeouts

FORM = dict(
    order_id="O-1",
    customer_id="C-1",
    amount="30.00",
    currency="EUR",
    order_total="250.00",
    reason="billing_error",
    note="€" * 2000,
)


def test_postgres_pool_waits_the_connect_timeout_and_sessions_have_a_statement_timeout(
    postgres_url: str,
) -> None:
    app = bootstrap(Settings(database_url=postgres_url, timeouts=DbTimeouts(2.5, 0.5))).ledger
    try:
        factory = app.factory
        assert isinstance(factory, PostgresFactory)
        assert isinstance(factory.datastore, FailFastDatastore)
        pool = factory.datastore.pool
        assert isinstance(pool, FailFastPool)
        assert pool.timeout == 2.5
        assert isinstance(pool.kwargs, dict) and pool.kwargs["connect_timeout"] == 3
        with pool.connection() as connection:
            row = connection.execute("SHOW statement_timeout").fetchone()
            assert row is not None and row["statement_timeout"] == "500ms"
        with pytest.raises(PersistenceError) as late:
            with factory.datastore.transaction(commit=False) as cursor:
                cursor.execute("SELECT pg_sleep(3)")
        failure = classify(late.value)
        assert failure is not None and failure.kind == "timeout", late.value
    finally:
        app.close()


def test_sqlite_waits_the_statement_timeout_for_a_lock(sqlite_url: str) -> None:
    app = bootstrap(Settings(database_url=sqlite_url, timeouts=DbTimeouts(statement=1.5))).ledger
    try:
        factory = app.factory
        assert isinstance(factory, SQLiteFactory)
        assert factory.datastore.pool.lock_timeout == 1.5
    finally:
        app.close()


def test_the_page_hook_makes_a_sqlite_file_full_as_a_disk_would(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = bootstrap(Settings(database_url=sqlite_url)).ledger
    pages = app.factory.datastore.pool  # type: ignore[attr-defined]
    with app.factory.datastore.transaction(commit=False) as cursor:  # type: ignore[attr-defined]
        cursor.execute("PRAGMA page_count")
        count = int(cursor.fetchone()[0])
    app.close()
    del pages
    monkeypatch.setenv(MAX_PAGE_COUNT_HOOK, str(count))  # not one page more
    app = bootstrap(Settings(database_url=sqlite_url)).ledger
    try:
        with pytest.raises(PersistenceError) as full:
            app.request(Actor.parse("agent:ann"), RefundRequestIn.model_validate(FORM))
        failure = classify(full.value)
        assert failure is not None and failure.kind == "full", full.value
        assert app.recorder.max_notification_id() in (None, 0)  # nothing stored
    finally:
        app.close()
