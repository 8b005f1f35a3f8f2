"""P1 projection catch-up, A1 `audit verify`, and the projection process's peak RSS (S1).

On the shared "events" load (about 1,000,000 events, quick 10,000; 12 per refund):

- P1: `ledger projections run --once` as a real subprocess, every view from zero; events/s
  counts stored events (each applied once per view), over the subprocess's wall time
  (its ~0.5 s start-up included). Baseline: the raw notification-log read and decode of the
  same events (`select_notifications` + `mapper.to_domain_event`) in this process.
- S1 (RSS): the same subprocess's peak resident set (ru_maxrss of that child, from wait4).
- A1: `verify_store` (every refund chain and the checkpoint) in this process; events/s counts
  chained (refund) events. Baseline: the raw read and decode of the same refund events.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from benchmarks.data import fill_events
from benchmarks.stack import Stack
from benchmarks.stats import rate
from benchmarks.table import Row, Target
from ledger.app.service import RefundLedger
from ledger.audit.rows import verify_store
from ledger.bootstrap import bootstrap
from ledger.config import Settings
from ledger.projections.runner import Projections
from ledger.store.recorders import CHAINED_TOPICS

PAGE = 1000
LEDGER = Path(sys.executable).with_name("ledger")


def events_database(stack: Stack) -> tuple[str, int]:
    """The shared load, its key and size agreed with R1: f"events-{n}"."""
    n = stack.size(1_000_000, 10_000)
    return stack.filled(f"events-{n}", lambda url: fill_events(url, n)), n


def run(stack: Stack) -> Iterator[Row]:
    url, _ = events_database(stack)
    app = bootstrap(Settings(database_url=url)).ledger
    try:
        events, raw_seconds = read_and_decode(app, None)
        chained, raw_chained_seconds = read_and_decode(app, sorted(CHAINED_TOPICS))
        _reset_views(app)
        seconds, rss_mb = catch_up_process(url)
        yield Row(
            "P1", "projection catch-up, all 4 views, from zero", rate(events, seconds),
            "events/s", rate(events, raw_seconds), "raw log read+decode",
            (Target(25_000),), note=f"{events:,} events; `ledger projections run --once` "
            f"subprocess, {seconds:.1f} s wall (start-up included)",
        )  # fmt: skip
        yield Row(
            "S1", "peak RSS, projection process (catch-up)", rss_mb, "MB",
            targets=(Target(300, at_least=False),), lower_is_better=True,
        )  # fmt: skip
        verify_seconds = _verify(app, chained)
        yield Row(
            "A1", "audit verify", rate(chained, verify_seconds), "events/s",
            rate(chained, raw_chained_seconds), "raw log read+decode", (Target(100_000),),
            note=f"{chained:,} chained refund events, every chain and the checkpoint",
        )  # fmt: skip
    finally:
        app.close()


def read_and_decode(app: RefundLedger, topics: list[str] | None) -> tuple[int, float]:
    """The raw path: every notification (of `topics`) read in pages and decoded; count, s."""
    started = time.perf_counter()
    count, start = 0, 0
    decode = app.mapper.to_domain_event
    while page := app.recorder.select_notifications(
        start=start, limit=PAGE, topics=topics or (), inclusive_of_start=False
    ):
        for notification in page:
            decode(notification)
        count += len(page)
        start = page[-1].id
    return count, time.perf_counter() - started


def _verify(app: RefundLedger, chained: int) -> float:
    started = time.perf_counter()
    report = verify_store(app)
    seconds = time.perf_counter() - started
    if not report.intact or report.events != chained:
        raise RuntimeError(f"audit verify disagrees with the load: {report.as_json()}")
    return seconds


def _reset_views(app: RefundLedger) -> None:
    """Every view empty at position 0, however often the shared database was projected."""
    projections = Projections(app)
    for name, view in projections.views.items():
        projections.store.reset(name, view.tables)


def catch_up_process(url: str) -> tuple[float, float]:
    """`ledger projections run --once` from zero: wall seconds, the child's peak RSS in MB."""
    command = [str(LEDGER), "--db", url, "projections", "run", "--once"]
    with tempfile.TemporaryFile() as stdout, tempfile.TemporaryFile() as stderr:
        started = time.perf_counter()
        child = subprocess.Popen(command, stdout=stdout, stderr=stderr)
        _, status, usage = os.wait4(child.pid, 0)  # this child's own rusage
        seconds = time.perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(status)
        stdout.seek(0)
        stderr.seek(0)
        out, err = stdout.read().decode(), stderr.read().decode()
    if child.returncode != 0 or "applied" not in out:
        raise RuntimeError(f"projections run --once failed ({child.returncode}): {err[-2000:]}")
    return seconds, usage.ru_maxrss / 1024  # Linux: kilobytes
