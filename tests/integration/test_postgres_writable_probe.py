"""/healthz's `writable` probe on a real PostgreSQL: it passes leaving nothing behind, fails
on a full tablespace as a full disk and on a read-only database as read-only, passes again
once space is freed, and does not wait on another probe's lock. A command on the full disk
fails at once as StorageFull (the library retried it ten times before)."""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import closing
from urllib.parse import urlsplit

import psycopg
import pytest
from disk_support import LONG_NOTE, fill_file, postgres_on_tmpfs
from eventsourcing.postgres import PostgresDatastore, PostgresFactory
from psycopg import sql

from ledger.app.service import RefundLedger
from ledger.bootstrap import bootstrap
from ledger.config import Settings
from ledger.store.failures import StorageFull, classify
from ledger.store.writable import PROBE_TABLE, postgres_writable
from localservers.postgres import PostgresServer

from .support import AGENT, form

pytestmark = pytest.mark.postgres
PASSED = "a new block was written, and rolled back"


def datastore(app: RefundLedger) -> PostgresDatastore:
    factory = app.factory
    assert isinstance(factory, PostgresFactory)
    return factory.datastore


def probe_table(url: str) -> tuple[int, int] | None:
    """(rows, bytes on disk) of the probe table; None when there is none."""
    with psycopg.connect(url, autocommit=True) as connection:
        found = connection.execute("SELECT to_regclass(%s) IS NOT NULL", (PROBE_TABLE,))
        exists = found.fetchone()
        if exists is None or not exists[0]:
            return None
        row = connection.execute(
            sql.SQL("SELECT count(*), pg_relation_size(%s) FROM {}").format(
                sql.Identifier(PROBE_TABLE)
            ),
            (PROBE_TABLE,),
        ).fetchone()
    assert row is not None
    return int(row[0]), int(row[1])


def test_the_probe_passes_and_leaves_the_probe_table_empty_and_without_blocks(
    make_app: Callable[..., RefundLedger], postgres_url: str
) -> None:
    app = make_app(postgres_url)
    assert probe_table(postgres_url) == (0, 0)  # created with the schema
    assert [postgres_writable(datastore(app)) for _ in range(3)] == [PASSED] * 3
    assert probe_table(postgres_url) == (0, 0)


def test_the_probe_works_on_a_database_made_before_its_table_and_creates_nothing(
    make_app: Callable[..., RefundLedger], postgres_url: str
) -> None:
    app = make_app(postgres_url)
    with psycopg.connect(postgres_url, autocommit=True) as connection:
        connection.execute(sql.SQL("DROP TABLE {}").format(sql.Identifier(PROBE_TABLE)))
    assert postgres_writable(datastore(app)) == PASSED
    assert probe_table(postgres_url) is None


def test_a_read_only_database_fails_the_probe_as_read_only(
    make_app: Callable[..., RefundLedger], postgres_server: PostgresServer, postgres_url: str
) -> None:
    make_app(postgres_url).close()  # the schema, made while it may still write
    _read_only(postgres_server, postgres_url)
    with pytest.raises(psycopg.Error) as refused:
        postgres_writable(datastore(make_app(postgres_url)))
    failure = classify(refused.value)
    assert failure is not None and failure.kind == "read-only", refused.value
    assert "read-only transaction" in failure.message


def test_a_probe_finding_another_probe_holding_the_table_says_so_without_waiting(
    make_app: Callable[..., RefundLedger], postgres_url: str
) -> None:
    app = make_app(postgres_url)
    with psycopg.connect(postgres_url) as other:  # a transaction, as another probe's
        other.execute(sql.SQL("LOCK TABLE {}").format(sql.Identifier(PROBE_TABLE)))
        started = time.monotonic()
        detail = postgres_writable(datastore(app))
        waited = time.monotonic() - started
    assert detail == "busy: another probe holds the probe table (not probed)"
    assert waited < 3  # the probe's lock timeout (0.3 s), not the statement timeout (5 s)


def test_a_full_tablespace_fails_the_probe_and_commands_as_full_until_space_is_freed(
    postgres_server: PostgresServer,
) -> None:
    with postgres_on_tmpfs(postgres_server) as (url, filler), closing(_app(url)) as app:
        app.request(AGENT, form())
        stored = app.recorder.max_notification_id()
        fill_file(filler)
        with pytest.raises(psycopg.errors.DiskFull) as full:
            postgres_writable(datastore(app))
        with pytest.raises(StorageFull) as refused:  # not the OperationalError retried ten times
            app.request(AGENT, form(order_id="O-2", note=LONG_NOTE))
        assert app.recorder.max_notification_id() == stored
        for error in (full.value, refused.value):
            failure = classify(error)
            assert failure is not None and failure.kind == "full", error
            assert failure.message.startswith("the database's storage is full (could not extend")
            assert failure.message.endswith(": No space left on device)"), failure.message

        filler.unlink()
        assert postgres_writable(datastore(app)) == PASSED
        app.request(AGENT, form(order_id="O-2", note=LONG_NOTE))


def _app(url: str) -> RefundLedger:
    return bootstrap(Settings(database_url=url)).ledger


def _read_only(server: PostgresServer, url: str) -> None:
    """New sessions of the database are read-only."""
    name = urlsplit(url).path.lstrip("/")
    with psycopg.connect(server.get_uri(), autocommit=True) as connection:
        connection.execute(
            sql.SQL("ALTER DATABASE {} SET default_transaction_read_only = on").format(
                sql.Identifier(name)
            )
        )
