"""Measure the relay's catch-up (events/s published and acknowledged) on PostgreSQL and Tansu.

Fills a private embedded PostgreSQL with about `--events` events (outside the timing), as
`measure_projections.py` does: refunds requested, approved, paid, settled and noted, two
thirds of the events on the refund itself, the rest on its order, customer and address
histories (passed, not published). Then, in a fresh application as `ledger relay run --once`
would start, catches a relay up from position 0 on a private Tansu broker, once per batch
size, each to a new topic of 3 partitions (created by the relay, inside the timing). Reports
whether kafka-python uses the `crc32c` C extension. A benchmark: nothing here is asserted.

    .venv/bin/python scripts/measure_relay.py --events 60000
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from pathlib import Path

from kafka.record import util as record_util
from measure_commands import count_events, embedded_postgres_url
from measure_projections import EVENTS_PER_REFUND, fill

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from ledger.bootstrap import bootstrap
from ledger.config import Settings
from ledger.delivery.producer import Publisher
from ledger.delivery.relay import Relay
from localservers.tansu import running_broker


def catch_up(url: str, bootstrap_servers: str, batch: int) -> None:
    app = bootstrap(Settings(database_url=url))  # cold, as a new process would start
    relay = Relay(app, Publisher(bootstrap_servers, f"refunds.events.b{batch}"), batch=batch)
    try:
        started = time.perf_counter()
        relay.catch_up(threading.Event())
        seconds = time.perf_counter() - started
        counts = relay.counts
        stored = counts.published + counts.skipped
        print(
            f"batch {batch:>5}: {stored} events ({counts.published} published) in "
            f"{seconds:6.2f} s: {stored / seconds:8.0f} events/s stored, "
            f"{counts.published / seconds:8.0f} published/s",
            flush=True,
        )
    finally:
        relay.close()
        app.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=60000, help="about this many events")
    parser.add_argument(
        "--batch", type=int, nargs="+", default=[1000, 250], help="relay batch sizes"
    )
    args = parser.parse_args()
    print(f"crc32c C extension: {record_util.crc32c_c is not None}")
    with embedded_postgres_url() as url, running_broker() as broker:
        app = bootstrap(Settings(database_url=url))
        started = time.perf_counter()
        fill(app, max(1, args.events // EVENTS_PER_REFUND))
        print(f"filled {count_events(app)} events in {time.perf_counter() - started:.1f} s")
        app.close()
        for batch in args.batch:
            catch_up(url, broker.bootstrap, batch)


if __name__ == "__main__":
    main()
