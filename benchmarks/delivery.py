"""R1, C1, C2 and the relay's peak RSS (S1): the ledger's events to Kafka and the consumers.

R1: the relay as its users run it, a real process: `ledger relay run --once` from position
0 over the shared PostgreSQL load, to a fresh topic (3 partitions, created by the relay).
Figure: refund events published and acknowledged per second, as the relay times its
catch-up (the process's start and imports are not counted; the other third of the stored
events, the order, customer and address histories, are read and passed inside the timing).
Baseline: raw kafka-python with the relay's producer settings (idempotent, acks=all,
linger 5 ms, 256 KiB batches, no compression) and its default partitioner, producing the
same CloudEvents (headers, key, body, encoded beforehand) to another fresh topic: `send`
each, then one `flush`. The `crc32c` C extension is used by both (see the note).

S1: the same relay process's peak RSS (its VmHWM, which it writes to stderr as it exits).
Baseline: the peak RSS of `ledger relay status` on the same database (the CLI with the
application open, publishing nothing).

C1: the finance consumer (`ConsumerRunner` + `FinanceHandler`, a fresh group, in this
process) reads the topic R1 filled into a fresh PostgreSQL database, timed from its first
polled batch to its last offset commit (no group join, no final idle wait). Baseline: a raw
kafka-python consumer of the same topic, same `max_poll_records`, polling without processing.

C2: the compliance consumer (`ComplianceHandler`: archive, chain check on arrival, alerts),
timed the same way, over the topic of R1's baseline (its first 100,000 refund events, quick
10,000: the compliance consumer is the slower one). Baseline: the raw consume of that topic.
"""

from __future__ import annotations

import os
import re
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from kafka import KafkaConsumer, KafkaProducer
from kafka.record import util as record_util

from benchmarks.rss import run_measured
from benchmarks.stack import Stack
from benchmarks.stats import rate
from benchmarks.table import Row, Target
from benchmarks.views import events_database
from consumers.compliance import ComplianceHandler
from consumers.finance import FinanceHandler
from consumers.handler import Handler
from consumers.runner import ConsumerRunner
from ledger.bootstrap import bootstrap
from ledger.config import Settings
from ledger.kafka.cloudevents import PUBLISHED_EVENTS, cloudevent
from ledger.kafka.defaults import DEFAULT_PARTITIONS, DEFAULT_TIMEOUT_SECONDS
from ledger.kafka.producer import producer_settings
from localservers.tansu import FAST_GROUP_JOIN, create_topic

#: The raw produce baseline sends at most this many messages (they are held in memory).
BASELINE_MESSAGES = 100_000
MAX_POLL_RECORDS = 5000  # ConsumerRunner's default
RELAY_PROCESS_TIMEOUT_SECONDS = 600


#: The last line of `ledger relay run --once`.
SUMMARY = re.compile(
    r"published (?P<published>\d+) refund event\(s\), passed (?P<passed>\d+) other.* "
    r"in (?P<seconds>[0-9.]+) s"
)


@dataclass(frozen=True)
class Relayed:
    topic: str
    published: int
    passed: int
    seconds: float
    peak_mb: float


def run(stack: Stack) -> Iterator[Row]:
    url, events = events_database(stack)
    kafka = stack.broker.bootstrap

    relayed = relay_process(url, kafka, ("relay", "run", "--once"))
    produced, produce_seconds, produce_topic = raw_produce(
        url, kafka, stack.size(BASELINE_MESSAGES, 10_000)
    )
    crc = "the crc32c C extension" if record_util.crc32c_c is not None else "pure-Python crc32c"
    yield Row(
        "R1",
        "relay catch-up, PostgreSQL to Kafka",
        rate(relayed.published, relayed.seconds),
        "events/s",
        rate(produced, produce_seconds),
        "raw kafka-python produce",
        (Target(25_000), Target(0.6, on_ratio=True)),
        note=f"`ledger relay run --once`: {relayed.published:,} refund events published, "
        f"{relayed.passed:,} others passed, in {relayed.seconds:.1f} s; the baseline sent "
        f"{produced:,} of the same messages; kafka-python uses {crc}",
    )

    status = relay_process(url, kafka, ("relay", "status"))
    yield Row(
        "S1",
        "relay process peak RSS",
        relayed.peak_mb,
        "MB",
        status.peak_mb,
        "`ledger relay status`",
        (Target(300, at_least=False),),
        lower_is_better=True,
        note=f"`ledger relay run --once` over {events:,} stored events",
    )

    finance = FinanceHandler()
    applied, consume_seconds = consume(finance, stack.database("finance"), kafka, relayed.topic)
    consumed, raw_seconds = raw_consume(kafka, relayed.topic, relayed.published)
    yield Row(
        "C1",
        "finance consumer, Kafka to PostgreSQL",
        rate(applied, consume_seconds),
        "events/s",
        rate(consumed, raw_seconds),
        "raw kafka-python consume",
        (Target(10_000),),
        note=f"{applied:,} events applied (journal, inbox, offsets) in {consume_seconds:.1f} s",
    )

    compliance = ComplianceHandler(f"{produce_topic}.alerts")
    database = stack.database("compliance")
    archived, archive_seconds = consume(compliance, database, kafka, produce_topic)
    consumed, raw_seconds = raw_consume(kafka, produce_topic, produced)
    yield Row(
        "C2",
        "compliance consumer, Kafka to PostgreSQL",
        rate(archived, archive_seconds),
        "events/s",
        rate(consumed, raw_seconds),
        "raw kafka-python consume",
        note=f"{archived:,} events archived (chain checked, inbox, offsets) in "
        f"{archive_seconds:.1f} s",
    )


def fresh_topic(what: str) -> str:
    return f"bench.{what}.{uuid.uuid4().hex[:8]}"


def relay_messages(url: str, limit: int) -> list[tuple[bytes, Any, bytes]]:
    """(key, headers, value) of the first `limit` refund events, as the relay encodes them."""
    app = bootstrap(Settings(database_url=url)).ledger
    found: list[tuple[bytes, Any, bytes]] = []
    try:
        start = 0
        while len(found) < limit and (
            page := app.recorder.select_notifications(
                start=start, limit=1000, inclusive_of_start=False
            )
        ):
            start = page[-1].id
            for notification in page:
                event = app.mapper.to_domain_event(notification)
                if isinstance(event, PUBLISHED_EVENTS):
                    headers, value = cloudevent(event)
                    found.append((str(event.originator_id).encode(), headers, value))
    finally:
        app.close()
    return found[:limit]


def raw_produce(url: str, kafka: str, limit: int) -> tuple[int, float, str]:
    """Messages sent, seconds and the topic: kafka-python alone, the relay's producer
    settings."""
    messages = relay_messages(url, limit)
    topic = fresh_topic("produce")
    create_topic(kafka, topic, DEFAULT_PARTITIONS)
    timeout_ms = int(DEFAULT_TIMEOUT_SECONDS * 1000)
    producer = KafkaProducer(bootstrap_servers=kafka, **producer_settings(timeout_ms))
    try:
        started = time.perf_counter()
        futures = [
            producer.send(topic, key=key, value=value, headers=headers)
            for key, headers, value in messages
        ]
        producer.flush()
        seconds = time.perf_counter() - started
        for future in futures:
            future.get(0)  # every one acknowledged
    finally:
        producer.close()
    return len(messages), seconds, topic


class _TimedRunner(ConsumerRunner):
    """Notes when the first polled batch began and when the last one was committed."""

    first = last = 0.0

    def process(self, records: Sequence[Any], consumer: Any, producer: Any) -> None:
        self.first = self.first or time.perf_counter()
        super().process(records, consumer, producer)
        self.last = time.perf_counter()


def consume(handler: Handler, database: str, kafka: str, topic: str) -> tuple[int, float]:
    """Events applied by the consumer and the seconds of its busy span."""
    with bootstrap(Settings(database_url=database)).consumer_store() as store:
        runner = _TimedRunner(
            handler,
            store,
            kafka,
            topic,
            group=f"bench-{handler.name}-{uuid.uuid4().hex[:8]}",
            dlq_topic=f"{topic}.dlq",
            idle_seconds=0.5,
            max_poll_records=MAX_POLL_RECORDS,
            **FAST_GROUP_JOIN,
        )
        counts = runner.run(threading.Event(), once=True)
    if counts.dead_lettered or counts.duplicates:
        raise AssertionError(f"{handler.name} consumer: unexpected {counts}")
    return counts.applied, runner.last - runner.first


def raw_consume(kafka: str, topic: str, expected: int) -> tuple[int, float]:
    """Messages polled and seconds from the first record to the last (no group join)."""
    consumer = KafkaConsumer(
        topic,
        bootstrap_servers=kafka,
        group_id=f"bench-raw-{uuid.uuid4().hex[:8]}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        max_poll_records=MAX_POLL_RECORDS,
        **FAST_GROUP_JOIN,
    )
    try:
        seen, started = 0, 0.0
        deadline = time.monotonic() + 300
        while seen < expected and time.monotonic() < deadline:
            for records in consumer.poll(timeout_ms=500).values():
                started = started or time.perf_counter()
                seen += len(records)
        return seen, time.perf_counter() - started
    finally:
        consumer.close()


def relay_process(url: str, kafka: str, command: Sequence[str]) -> Relayed:
    """`ledger COMMAND` on the load, to a fresh topic: what it published and passed, the
    seconds it reported, its peak RSS (VmHWM as it exits: the `ru_maxrss` of a child also
    counts the parent's pages it had between fork and exec)."""
    topic = fresh_topic("relay")
    env = {**os.environ, "LEDGER_DATABASE_URL": url, "LEDGER_KAFKA_BOOTSTRAP": kafka}
    env["LEDGER_RELAY_TOPIC"] = topic
    measured = run_measured(command, env, keep_output=True, timeout=RELAY_PROCESS_TIMEOUT_SECONDS)
    summary = SUMMARY.search(measured.output)
    published, passed, seconds = (
        (int(summary["published"]), int(summary["passed"]), float(summary["seconds"]))
        if summary
        else (0, 0, 0.0)
    )
    return Relayed(topic, published, passed, seconds, measured.peak_mb)
