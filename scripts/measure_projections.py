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
import tempfile
import time
from collections.abc import Callable

from measure_commands import AGENT, FINANCE, MANAGER, count_events, embedded_postgres_url

from ledger.app.requests import RefundRequestIn, RequestForm
from ledger.app.service import RefundLedger
from ledger.audit.store import verify_store
from ledger.bootstrap import bootstrap
from ledger.config import Settings
from ledger.projections.runner import Projections

EVENTS_PER_REFUND = 12  # 8 on the refund, 4 on its order, customer and address histories
SAVE_BATCH = 200


def fill(app: RefundLedger, refunds: int) -> None:
    """Refunds of 120.00 (a manager's approval), each paid, settled and noted."""
    batch = []
    for n in range(refunds):
        form = RequestForm(
            order_id=f"O-{n}",
            customer_id=f"C-{n % 5000}",
            amount="120.00",
            currency="EUR",
            order_total="1000.00",
            reason=("billing_error", "price_adjustment", "goodwill")[n % 3],
        )
        refund = app.request(AGENT, RefundRequestIn.parse(form))
        at = app.clock()
        refund.approve(MANAGER, None, None, app.policy, at)
        refund.start_payout(FINANCE, None, app.policy, at)
        refund.settle_payout(FINANCE, f"PSP-{n}", app.policy, at)
        for text in ("called the customer", "closed"):
            refund.add_note(MANAGER, text, app.policy, at)
        batch.append(refund)
        if len(batch) == SAVE_BATCH:
            app.save(*batch)
            batch = []
    app.save(*batch)


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
    app = bootstrap(settings)
    started = time.perf_counter()
    fill(app, max(1, events // EVENTS_PER_REFUND))
    stored = count_events(app)
    print(f"{backend:<9} filled {stored} events in {time.perf_counter() - started:.1f} s")
    app.close()
    app = bootstrap(settings)  # cold, as a new `ledger projections run` would start
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
    with embedded_postgres_url() as url:
        measure("postgres", url, args.events)


if __name__ == "__main__":
    main()
