"""A2: `audit export` and `audit verify-bundle` events/s, the offline side of the audit.

On a load of the shared kind (100,000 events, quick 10,000: the same database as P1's quick
load), in this process, as `ledger audit export --out FILE` and `ledger audit verify-bundle
FILE` call them:

- export: `export_bundle` of every refund (chains checked, events, hashes, checkpoint and
  policy versions written as JSON Lines) to a file in the scratch directory. Baseline: the
  raw read and decode of the same refund events (as A1's).
- verify-bundle: `verify_bundle` of that file, without the database (every line parsed, every
  event decoded and its chain recomputed). Baseline: `json.loads` of every line of the file.

The load is smaller than A1's because `verify_bundle` holds the whole file in memory.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

from benchmarks.data import fill_events
from benchmarks.stack import Stack
from benchmarks.stats import rate, timed
from benchmarks.table import Row
from benchmarks.views import read_and_decode
from ledger.audit.bundle import export_bundle
from ledger.audit.bundle_check import verify_bundle
from ledger.bootstrap import bootstrap
from ledger.config import Settings
from ledger.store.recorders import CHAINED_TOPICS


def run(stack: Stack) -> Iterator[Row]:
    n = stack.size(100_000, 10_000)
    url = stack.filled(f"events-{n}", lambda url: fill_events(url, n))
    bundle = stack.scratch / f"bundle-{n}.jsonl"
    app = bootstrap(Settings(database_url=url)).ledger
    try:
        chained, raw_seconds = read_and_decode(app, sorted(CHAINED_TOPICS))
        started = time.perf_counter()
        with bundle.open("wb") as out:
            summary = export_bundle(app, [], out, app.policy)
        export_seconds = time.perf_counter() - started
    finally:
        app.close()
    if summary.events != chained:
        raise RuntimeError(f"audit export wrote {summary.events} events, not {chained}")
    yield Row(
        "A2", "audit export (bundle of every refund)", rate(chained, export_seconds),
        "events/s", rate(chained, raw_seconds), "raw log read+decode",
        note=f"{chained:,} chained refund events of {summary.refunds:,} refunds, "
        f"{bundle.stat().st_size / 2**20:.0f} MB of JSON Lines",
    )  # fmt: skip
    verify_seconds = timed(lambda: _intact(bundle, chained))
    parse_seconds = timed(lambda: _parse(bundle))
    yield Row(
        "A2", "audit verify-bundle (offline)", rate(chained, verify_seconds), "events/s",
        rate(chained, parse_seconds), "json.loads of every line",
    )  # fmt: skip


def _intact(bundle: Path, events: int) -> None:
    report = verify_bundle(bundle)
    if not report.intact or report.events != events:
        raise RuntimeError(f"audit verify-bundle disagrees with the load: {report.as_json()}")


def _parse(bundle: Path) -> None:
    with bundle.open("rb") as lines:
        for line in lines:
            json.loads(line)
