"""Measure projection catch-up (events/s) from zero on SQLite and PostgreSQL.

Fills a fresh store with the command mix of `measure_commands.py` (outside the timing), then
times one `Projections.catch_up()` of every view (status and decision trail), and a rebuild.
Events/s counts every stored event once per view that read it.

    .venv/bin/python scripts/measure_projections.py --refunds 5000
"""

from __future__ import annotations

import argparse
import tempfile
import time

from measure_commands import count_events, embedded_postgres_url, run_mix

from ledger.bootstrap import bootstrap
from ledger.config import Settings
from ledger.projections.runner import Projections


def measure(backend: str, url: str, refunds: int) -> None:
    app = bootstrap(Settings(database_url=url))
    try:
        run_mix(app, refunds)
        events = count_events(app)
        views = Projections(app)
        for label, work in (("catch-up", views.catch_up), ("rebuild", views.rebuild)):
            started = time.perf_counter()
            applied = work()
            seconds = time.perf_counter() - started
            print(
                f"{backend:<9} {label:<9} {events:>7} events x {len(views.views)} views "
                f"({applied} applied) in {seconds:6.2f} s: {applied / seconds:8.0f} events/s",
                flush=True,
            )
    finally:
        app.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--refunds", type=int, default=2000, help="refunds per back end")
    parser.add_argument("--skip-sqlite", action="store_true", help="PostgreSQL only")
    args = parser.parse_args()
    if not args.skip_sqlite:
        with tempfile.TemporaryDirectory(prefix="ledger-measure-") as tmp:
            measure("sqlite", f"sqlite:///{tmp}/ledger.db", args.refunds)
    with embedded_postgres_url() as url:
        measure("postgres", url, args.refunds)


if __name__ == "__main__":
    main()
