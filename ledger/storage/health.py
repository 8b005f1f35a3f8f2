"""What /healthz checks, within a deadline: the database answers (`database`), takes writes
(`writable`: not full, not read-only), and how many stored events the views have not seen
(`views`, never failing: a read catches them up).

The checks run in a thread of their own; the caller waits at most `deadline` seconds, and a
check still running when the next caller comes is waited for, not started again, so a hung
database costs one thread, not one per probe.

`writable` writes nothing that stays. SQLite: a transaction that takes the write lock,
creates a table and fills two pages, then rolls back: it fails when the database may not
grow (SQLITE_FULL) or is read-only; and the file system holding the file must have space
left (SQLite writes whole pages when it commits, which a rolled-back probe never does).
PostgreSQL: the session is not read-only and the server not a standby in recovery.
"""

from __future__ import annotations

import errno
import os
import sqlite3
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as Late
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from eventsourcing.postgres import PostgresDatastore
from eventsourcing.sqlite import SQLiteDatastore

from ledger.projections.runner import Projections, unseen
from ledger.storage.factories import limit_pages
from ledger.storage.failures import Failure, classify

DEADLINE = 0.9  # seconds: /healthz answers within 1 s
PROBE_LOCK_WAIT = 0.3  # seconds the SQLite probe waits for another writer's lock
RENEW_EVERY = 1.0  # seconds between two renewals of a lost pool's connections
CheckName = Literal["database", "writable", "views"]


@dataclass(frozen=True)
class Check:
    name: CheckName
    ok: bool
    detail: str
    failure: Failure | None = None  # why it failed, when the database said


@dataclass(frozen=True)
class HealthReport:
    checks: tuple[Check, ...]
    lag: int | None  # events the views have not seen; None when not checked

    @property
    def failing(self) -> Check | None:
        return next((check for check in self.checks if not check.ok), None)


class HealthProbe:
    def __init__(self, projections: Projections, deadline: float = DEADLINE) -> None:
        self.projections = projections
        self.deadline = deadline
        self._lock = threading.Lock()
        self._running: Future[HealthReport] | None = None

    def check(self) -> HealthReport:
        with self._lock:
            if self._running is None or self._running.done():
                self._running = _in_thread(self._run)
            running = self._running
        try:
            return running.result(timeout=self.deadline)
        except Late:
            late = f"did not answer within {self.deadline:g} s"
            return HealthReport((Check("database", False, late, Failure("timeout", "")),), None)

    def _run(self) -> HealthReport:
        app = self.projections.app
        datastore = getattr(app.factory, "datastore", None)
        try:
            answered = _answers(self.projections, datastore)
        except Exception as error:  # the answer is the check's result, not a crash
            failure = classify(error)
            if failure is not None and failure.kind == "unreachable":
                renew_connections(app)
            said = failure.message if failure else f"{type(error).__name__}: {error}"
            return HealthReport((Check("database", False, said, failure),), None)
        writable = _writable(datastore, getattr(app.factory, "max_page_count", 0))
        try:
            lag = self._lag()
        except Exception as error:  # the database went away between two checks
            failure = classify(error)
            said = failure.message if failure else f"{type(error).__name__}: {error}"
            return HealthReport((answered, writable, Check("views", False, said, failure)), None)
        views = Check("views", True, f"{lag} stored event(s) not yet in the views")
        return HealthReport((answered, writable, views), lag)

    def _lag(self) -> int:
        store = self.projections.store
        position = min(store.positions(list(self.projections.views)).values())
        return unseen(self.projections.app, store, position)


def _answers(projections: Projections, datastore: Any) -> Check:
    started = time.perf_counter()
    if isinstance(datastore, PostgresDatastore):
        with datastore.pool.connection(timeout=DEADLINE / 2) as connection:
            connection.execute("SELECT 1")
    else:
        with projections.store.reading() as db:
            db.cursor.execute("SELECT 1")
    return Check("database", True, f"answered in {(time.perf_counter() - started) * 1000:.0f} ms")


def _writable(datastore: Any, max_page_count: int) -> Check:
    try:
        if isinstance(datastore, PostgresDatastore):
            detail = _postgres_writable(datastore)
        elif isinstance(datastore, SQLiteDatastore):
            detail = _sqlite_writable(datastore.pool.db_name, max_page_count)
        else:
            detail = "not a database of files"
    except Exception as error:  # what failed is the check's result
        failure = classify(error)
        said = failure.message if failure else f"{type(error).__name__}: {error}"
        return Check("writable", False, said, failure)
    return Check("writable", True, detail)


def _postgres_writable(datastore: PostgresDatastore) -> str:
    with datastore.pool.connection(timeout=DEADLINE / 2) as connection:
        row = connection.execute(
            "SELECT pg_is_in_recovery() AS standby, "
            "current_setting('transaction_read_only') AS read_only"
        ).fetchone()
    if row is None or row["standby"] or row["read_only"] == "on":
        raise ReadOnlyDatabase("the server is a standby, or the session is read-only")
    return "the session may write"


class ReadOnlyDatabase(OSError):
    def __init__(self, why: str) -> None:
        super().__init__(errno.EROFS, why)


def _sqlite_writable(name: str, max_page_count: int) -> str:
    if name == ":memory:" or "mode=memory" in name:
        return "in memory"
    if not name.startswith("file:"):
        free = os.statvfs(Path(name).resolve().parent)
        if free.f_bavail == 0:
            raise OSError(errno.ENOSPC, f"no space left on the file system of {name}")
    connection = sqlite3.connect(name, uri=True, timeout=PROBE_LOCK_WAIT, isolation_level=None)
    try:
        limit_pages(connection, max_page_count)
        size = int(connection.execute("PRAGMA page_size").fetchone()[0])
        try:
            connection.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as error:
            if "locked" in str(error) or "busy" in str(error):
                return "busy: another writer holds the lock (not probed)"
            raise
        try:
            connection.execute("CREATE TABLE ledger_health_probe (filler BLOB)")
            connection.execute("INSERT INTO ledger_health_probe VALUES (zeroblob(?))", (2 * size,))
        finally:
            if connection.in_transaction:  # SQLITE_FULL may have rolled it back already
                connection.execute("ROLLBACK")
    finally:
        connection.close()
    return "the database may grow"


_renewed = 0.0
_renewing = threading.Lock()


def renew_connections(app: Any) -> None:
    """PostgreSQL: replace the pool's connections (idle ones now, the others when returned),
    at most once a second, so that connections the server dropped are not handed out one
    failing request at a time after it is back."""
    global _renewed
    datastore = getattr(app.factory, "datastore", None)
    if not isinstance(datastore, PostgresDatastore):
        return
    with _renewing:
        if time.monotonic() - _renewed < RENEW_EVERY:
            return
        _renewed = time.monotonic()
    datastore.pool.drain()


def _in_thread(work: Callable[[], HealthReport]) -> Future[HealthReport]:
    """`work` in a daemon thread (a hung database must not keep the process from exiting)."""
    future: Future[HealthReport] = Future()

    def run() -> None:
        try:
            future.set_result(work())
        except BaseException as error:  # handed to the waiting caller
            future.set_exception(error)

    threading.Thread(target=run, name="healthz", daemon=True).start()
    return future
