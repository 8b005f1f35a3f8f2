"""Measure the consumers: messages/s through ConsumerRunner on SQLite and PostgreSQL.

Produces the CloudEvents of paid refunds (six events each, two journal entries) to a private
Tansu broker, then runs the finance and the compliance consumer `--once`, each into a fresh
SQLite file and into an embedded PostgreSQL database. The second rate counts from the first
poll that returned records to the last database commit (no group join, no final idle wait).

    .venv/bin/python scripts/measure_consumers.py --messages 20000
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from ledger.config import Settings

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests"), str(ROOT)]
from consumers.compliance import ComplianceHandler
from consumers.compliance_queries import archive
from consumers.finance import FinanceHandler
from consumers.finance_books import journal
from consumers.handler import Handler
from consumers.runner import ConsumerRunner
from ledger.kafka.cloudevents import cloudevent
from localservers.postgres import create_database, start_postgres
from localservers.tansu import FAST_GROUP_JOIN, create_topic, running_broker
from tests.unit.builders import paid_refund

from consumer_support import produce


def messages(count: int) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    while len(out) < count:
        for event in paid_refund().collect_events():
            headers, value = cloudevent(event)
            out.append({"key": str(event.originator_id).encode(), "value": value,
                        "headers": headers})  # fmt: skip
    return out[:count]


class Timing(logging.Handler):
    """Times the runner's batches: from the first poll that returned records to the last
    offset commit."""

    def __init__(self) -> None:
        super().__init__()
        self.first = self.last = 0.0

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if text.startswith("polled"):
            self.first = self.first or time.perf_counter()
        elif text.endswith("committing offsets"):
            self.last = time.perf_counter()


def measure(bootstrap: str, topic: str, url: str, name: str) -> None:
    timing = Timing()
    logger = logging.getLogger("consumers.runner")
    logger.addHandler(timing)
    logger.setLevel(logging.DEBUG)
    try:
        with bootstrap(Settings(database_url=url)).consumer_store() as store:
            group = f"measure-{uuid.uuid4().hex}"
            handler: Handler = (
                FinanceHandler() if name == "finance" else ComplianceHandler(f"{topic}.alerts")
            )
            runner = ConsumerRunner(
                handler, store, bootstrap, topic, group, f"{topic}.dlq",
                idle_seconds=1.0, **FAST_GROUP_JOIN,
            )  # fmt: skip
            started = time.perf_counter()
            counts = runner.run(threading.Event(), once=True)
            whole = time.perf_counter() - started
            rows = len(journal(store) if name == "finance" else archive(store))
    finally:
        logger.removeHandler(timing)
    busy = max(timing.last - timing.first, 1e-9)
    what = "journal entries" if name == "finance" else "archived events"
    print(f"{name:<10} {url.split(':')[0]:<10} applied {counts.applied} ({rows} {what}): "
          f"{counts.applied / whole:,.0f}/s overall incl. join and idle, "
          f"{counts.applied / busy:,.0f}/s from the first poll to the last commit")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=20000, help="How many messages.")
    parser.add_argument("--skip-postgres", action="store_true", help="Only SQLite.")
    args = parser.parse_args()
    batch = messages(args.messages)
    with running_broker() as broker, tempfile.TemporaryDirectory() as scratch:
        topic = "measure-events"
        create_topic(broker.bootstrap, topic, partitions=3)
        produce(broker.bootstrap, topic, batch)
        for name in ("finance", "compliance"):
            measure(broker.bootstrap, topic, f"sqlite:///{scratch}/{name}.db", name)
        if not args.skip_postgres:
            server, base = start_postgres()
            try:
                for name in ("finance", "compliance"):
                    create_database(server.get_uri(), name)
                    measure(broker.bootstrap, topic, server.get_uri(name), name)
            finally:
                server.cleanup()


if __name__ == "__main__":
    main()
