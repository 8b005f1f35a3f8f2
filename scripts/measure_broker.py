"""Measure kafka-python through the test broker (Tansu) with real CloudEvents messages.

The baseline for the relay and the consumers: builds the messages of paid refunds (outside
the timing), produces them keyed by refund to a topic of 3 partitions, then consumes them
with a consumer group (kafka-python's default `max_poll_records` of 500, then 5000: the
larger batches consume several times faster here). Reports whether the `crc32c` C extension
is in use.

    .venv/bin/python scripts/measure_broker.py --messages 20000
"""

from __future__ import annotations

import argparse
import sys
import time
import uuid
from pathlib import Path
from typing import Any

from kafka import KafkaConsumer, KafkaProducer
from kafka.record import util as record_util

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests"), str(ROOT)]
from ledger.delivery.cloudevents import cloudevent
from localservers.tansu import FAST_GROUP_JOIN, create_topic, running_broker
from tests.unit.builders import paid_refund

TOPIC = "measure"


def messages(count: int) -> list[tuple[Any, bytes, bytes]]:
    """(headers, key, value) of `count` events of paid refunds (6 events each)."""
    out: list[tuple[Any, bytes, bytes]] = []
    while len(out) < count:
        for event in paid_refund().collect_events():
            headers, value = cloudevent(event)
            out.append((headers, str(event.originator_id).encode(), value))
    return out[:count]


def produce(bootstrap: str, batch: list[tuple[Any, bytes, bytes]]) -> float:
    producer = KafkaProducer(bootstrap_servers=bootstrap, linger_ms=5)
    try:
        started = time.perf_counter()
        for headers, key, value in batch:
            producer.send(TOPIC, key=key, value=value, headers=headers)
        producer.flush()
        return time.perf_counter() - started
    finally:
        producer.close()


def consume(bootstrap: str, count: int, max_poll_records: int) -> float:
    """Seconds from the first record to the last (the group join is not counted)."""
    consumer = KafkaConsumer(
        TOPIC,
        bootstrap_servers=bootstrap,
        group_id=f"measure-{uuid.uuid4().hex}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        max_poll_records=max_poll_records,
        **FAST_GROUP_JOIN,
    )
    try:
        seen, started = 0, 0.0
        while seen < count:
            for records in consumer.poll(timeout_ms=500).values():
                started = started or time.perf_counter()
                seen += len(records)
        return time.perf_counter() - started
    finally:
        consumer.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=20000, help="How many messages.")
    count = parser.parse_args().messages
    batch = messages(count)
    size = sum(len(value) for _, _, value in batch) // count
    print(f"crc32c C extension: {record_util.crc32c_c is not None}; body ~{size} bytes")
    with running_broker() as broker:
        create_topic(broker.bootstrap, TOPIC, partitions=3)
        seconds = produce(broker.bootstrap, batch)
        print(f"produced {count} in {seconds:6.2f} s: {count / seconds:8.0f} messages/s")
        for max_poll_records in (500, 5000):  # kafka-python's default, and a larger one
            seconds = consume(broker.bootstrap, count, max_poll_records)
            print(
                f"consumed {count} in {seconds:6.2f} s: {count / seconds:8.0f} messages/s "
                f"(max_poll_records={max_poll_records})"
            )


if __name__ == "__main__":
    main()
