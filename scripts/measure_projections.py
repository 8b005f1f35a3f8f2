"""Measure projection catch-up and `audit verify` (events/s) on PostgreSQL and SQLite.

Fills a fresh store with about `--events` events (outside the timing): refunds requested
through the application (verified at once), then approved by a manager, paid out, settled and
noted, saved in batches. Then, in a fresh application as a new process would start:

- catch-up: one `Projections.catch_up()` of all four views from zero;
- rebuild: the same again after dropping every view's rows;
- audit verify: every hash chain and the checkpoint (refund events only: the order,
  customer and address aggregates that guard caps and fraud rules are not chained).

Events/s counts stored events; each is applied once per view (four view transactions per
batch). PostgreSQL is a private embedded server with default (durable) settings, removed
afterwards. A benchmark: nothing here is asserted by a test.

    .venv/bin/python scripts/measure_projections.py --events 100000 --skip-sqlite
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.data import EVENTS_PER_REFUND, count_events, fill
from ledger.app.service import RefundLedger
from ledger.audit.rows import verify_store
from ledger.bootstrap import bootstrap
from ledger.config import Settings
from ledger.projections.runner import Projections
from localservers.postgres import running_postgres


def timed(backend: str, label: str, events: int, action: Callable[[], object]) -> None:
    started = time.perf_counter()
    action()
    seconds = time.perf_counter() - started
    print(
        f"{backend:<9} {label:<13} {events:>8} events in {seconds:7.2f} s: "
        f"{events / seconds:9.0f} events/s",
        flush=True,
    )


def measure(backend: str, url: str, events: int) -> None:
    settings = Settings(database_url=url)
    app = bootstrap(settings).ledger
    started = time.perf_counter()
    fill(app, max(1, events // EVENTS_PER_REFUND))
    stored = count_events(app)
    print(f"{backend:<9} filled {stored} events in {time.perf_counter() - started:.1f} s")
    app.close()
    app = bootstrap(settings).ledger  # cold, as a new `ledger projections run` would start
    try:
        views = Projections(app)
        timed(backend, "catch-up", stored, views.catch_up)
        timed(backend, "rebuild", stored, views.rebuild)
        chained = sum(len(app.history(refund_id)) for refund_id in app.refund_ids())
        timed(backend, "audit verify", chained, lambda: _intact(app, chained))
    finally:
        app.close()


def _intact(app: RefundLedger, events: int) -> None:
    report = verify_store(app)
    if not report.intact or report.events != events:
        raise SystemExit(f"audit verify disagrees: {report}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20000, help="about this many events")
    parser.add_argument("--skip-sqlite", action="store_true", help="PostgreSQL only")
    args = parser.parse_args()
    if not args.skip_sqlite:
        with tempfile.TemporaryDirectory(prefix="ledger-measure-") as tmp:
            measure("sqlite", f"sqlite:///{tmp}/ledger.db", args.events)
    with running_postgres(durable=True) as server:
        measure("postgres", server.get_uri(), args.events)


if __name__ == "__main__":
    main()
