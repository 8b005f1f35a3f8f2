"""Measure `audit verify` (events/s) on an embedded PostgreSQL, and offline bundle checks.

Fills a fresh database with refunds of five events each (request, verified and approved
automatically, two notes), then times a full `verify_store` pass (every chain and the
checkpoint) in a fresh application, and `export_bundle` + `verify_bundle`. The server has
its default (durable) settings and is removed afterwards. A benchmark: no test asserts it.

    .venv/bin/python scripts/measure_audit.py --events 100000
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.data import AGENT, MANAGER
from ledger.app.commands import RefundRequestIn
from ledger.app.service import RefundLedger
from ledger.audit.bundle import export_bundle
from ledger.audit.bundle_check import verify_bundle
from ledger.audit.store import verify_store
from ledger.bootstrap import bootstrap
from ledger.config import Settings
from localservers.postgres import running_postgres

EVENTS_PER_REFUND = 5
T = TypeVar("T")
BATCH = 200


def fill(app: RefundLedger, refunds: int) -> None:
    batch = []
    for n in range(refunds):
        form = dict(
            order_id=f"O-{n}",
            customer_id=f"C-{n}",
            amount="20.00",
            currency="EUR",
            order_total="100.00",
            reason="billing_error",
        )
        refund = app.request(AGENT, RefundRequestIn.model_validate(form))
        for text in ("called the customer", "closed"):
            refund.add_note(MANAGER, text, app.policy, app.clock())
        batch.append(refund)
        if len(batch) == BATCH:
            app.save(*batch)
            batch = []
    app.save(*batch)


def timed(label: str, events: int, action: Callable[[], T]) -> T:
    started = time.perf_counter()
    result = action()
    seconds = time.perf_counter() - started
    print(f"{label:<22} {events:>7} events in {seconds:6.2f} s: {events / seconds:9.0f} events/s")
    return result


def export_to(app: RefundLedger, bundle: Path) -> object:
    with bundle.open("wb") as out:
        return export_bundle(app, [], out, app.policy)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20000, help="about this many events")
    args = parser.parse_args()
    refunds = max(1, args.events // EVENTS_PER_REFUND)
    with running_postgres(durable=True) as server, tempfile.TemporaryDirectory() as tmp:
        settings = Settings(database_url=server.get_uri())
        app = bootstrap(settings)
        started = time.perf_counter()
        fill(app, refunds)
        print(f"filled {refunds} refunds in {time.perf_counter() - started:.1f} s", flush=True)
        app.close()
        app = bootstrap(settings)  # a fresh process would start cold like this
        try:
            events = refunds * EVENTS_PER_REFUND
            report = timed("audit verify", events, lambda: verify_store(app))
            assert report.intact and report.events == events, report
            bundle = Path(tmp) / "bundle.jsonl"
            timed("audit export", events, lambda: export_to(app, bundle))
            timed("audit verify-bundle", events, lambda: verify_bundle(bundle))
        finally:
            app.close()


if __name__ == "__main__":
    main()
