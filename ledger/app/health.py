"""What /healthz checks, within a deadline: the database answers (`database`), takes writes
(`writable`: not full, not read-only), and how many stored events the views have not seen
(`views`, never failing: a read catches them up).

The checks run in a thread of their own; the caller waits at most `deadline` seconds, and a
check still running when the next caller comes is waited for, not started again, so a hung
database costs one thread, not one per probe.

`writable` writes nothing that stays (ledger/store/writable.py): on either back end a
rolled-back transaction that must give the database a new block, which a full disk or a
read-only database refuses.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as Late
from dataclasses import dataclass
from typing import Any, Literal

from eventsourcing.postgres import PostgresDatastore
from eventsourcing.sqlite import SQLiteDatastore

from ledger.projections.runner import Projections
from ledger.store.failures import Failure, classify
from ledger.store.lag import unseen
from ledger.store.writable import CONNECTION_WAIT, postgres_writable, sqlite_writable

DEADLINE = 0.9  # seconds: /healthz answers within 1 s
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
        with datastore.pool.connection(timeout=CONNECTION_WAIT) as connection:
            connection.execute("SELECT 1")
    else:
        with projections.store.reading() as db:
            db.cursor.execute("SELECT 1")
    return Check("database", True, f"answered in {(time.perf_counter() - started) * 1000:.0f} ms")


def _writable(datastore: Any, max_page_count: int) -> Check:
    try:
        if isinstance(datastore, PostgresDatastore):
            detail = postgres_writable(datastore)
        elif isinstance(datastore, SQLiteDatastore):
            detail = sqlite_writable(datastore.pool.db_name, max_page_count)
        else:
            detail = "not a database of files"
    except Exception as error:  # what failed is the check's result
        failure = classify(error)
        said = failure.message if failure else f"{type(error).__name__}: {error}"
        return Check("writable", False, said, failure)
    return Check("writable", True, detail)


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
