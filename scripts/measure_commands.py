"""Measure single-process commands/s through the application on SQLite and PostgreSQL.

A realistic mix per refund: a request whose reason needs no returned goods (verified at
once, approved automatically up to 50.00); above 50.00 a manager approves, then finance
starts and settles the payout. PostgreSQL is a private embedded server with its default
(durable) settings, started and removed by this script.

    .venv/bin/python scripts/measure_commands.py --refunds 500
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from ledger.app.requests import RefundRequestIn, RequestForm
from ledger.app.service import RefundLedger
from ledger.bootstrap import bootstrap
from ledger.config import Settings
from ledger.domain.actor import Actor
from localservers.postgres import running_postgres

AMOUNTS = ("20.00", "35.00", "120.00", "480.00", "45.00", "800.00")
AGENT = Actor.parse("agent:ann")
MANAGER = Actor.parse("manager:bob")
FINANCE = Actor.parse("finance:fay")


@dataclass(frozen=True)
class Result:
    backend: str
    refunds: int
    commands: int
    events: int
    seconds: float

    def line(self) -> str:
        return (
            f"{self.backend:<10} {self.refunds:>6} refunds {self.commands:>6} commands "
            f"{self.events:>6} events in {self.seconds:6.2f} s: "
            f"{self.commands / self.seconds:8.0f} commands/s {self.events / self.seconds:8.0f} "
            "events/s"
        )


def run_mix(app: RefundLedger, refunds: int) -> int:
    """Drive `refunds` refunds through the mix; return how many commands ran."""
    commands = 0
    for n in range(refunds):
        amount = AMOUNTS[n % len(AMOUNTS)]
        form = RequestForm(
            order_id=f"O-{n}",
            customer_id=f"C-{n}",
            amount=amount,
            currency="EUR",
            order_total="1000.00",
            reason="billing_error",
        )
        refund = app.request(AGENT, RefundRequestIn.parse(form))
        commands += 1
        if float(amount) > 50:
            app.approve(refund.id, MANAGER, None, None)
            app.start_payout(refund.id, FINANCE, None)
            app.settle_payout(refund.id, FINANCE, f"PSP-{n}")
            commands += 3
    return commands


def count_events(app: RefundLedger) -> int:
    count, start = 0, 0
    while page := app.recorder.select_notifications(
        start=start, limit=1000, inclusive_of_start=False
    ):
        count += len(page)
        start = page[-1].id
    return count


def measure(backend: str, url: str, refunds: int) -> Result:
    app = bootstrap(Settings(database_url=url))  # creates the schema outside the timing
    try:
        started = time.perf_counter()
        commands = run_mix(app, refunds)
        seconds = time.perf_counter() - started
        return Result(backend, refunds, commands, count_events(app), seconds)
    finally:
        app.close()


@contextmanager
def embedded_postgres_url() -> Iterator[str]:
    """A private PostgreSQL server with its default (durable) settings."""
    with running_postgres(durable=True) as server:
        yield server.get_uri()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--refunds", type=int, default=500, help="refunds per back end")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ledger-measure-") as tmp:
        print(measure("sqlite", f"sqlite:///{tmp}/ledger.db", args.refunds).line(), flush=True)
    with embedded_postgres_url() as url:
        print(measure("postgres", url, args.refunds).line(), flush=True)


if __name__ == "__main__":
    main()
