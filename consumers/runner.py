"""Run one handler on `refunds.events`: exactly one effect per event, offsets after effects.

Per polled batch: every record is parsed (consumers/inbound.py); the ones that parse are
applied in ONE database transaction that also records them in `consumer_inbox` (already-seen
ones are skipped; the inbox rows in a few multi-row statements, the effects through the
handler's `handle_many` when it has one); records that cannot be processed are copied to the
dead-letter topic with the reason in the `dlq_error` header; only then are the offsets
committed. If a handler raises for a message, the batch is rolled back and applied again
message by message, so only that message is dead-lettered. A crash after the database
commit and before the offset commit redelivers the batch, which the inbox absorbs.

Test hook: LEDGER_CONSUMER_PAUSE_AFTER_COMMIT=SECONDS sleeps between the database commit and
the offset commit (after logging "committed batch ...; committing offsets"), so a test can
kill the process exactly there.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from kafka import KafkaConsumer, KafkaProducer
from kafka.errors import CommitFailedError

from consumers.handler import Handler
from consumers.inbound import parse
from consumers.inbox import dead_letter, first_deliveries, inbox_schema
from consumers.messages import Delivered, Undeliverable
from consumers.refusals import Refused, apply_guarded
from ledger.kafka.security import PLAINTEXT
from ledger.kafka.topics import create_topics
from ledger.store.tracking import PostgresViews, ViewStore

logger = logging.getLogger(__name__)
PAUSE_HOOK = "LEDGER_CONSUMER_PAUSE_AFTER_COMMIT"


@dataclass
class Counts:
    """What a run did: messages applied, duplicates skipped, records dead-lettered."""

    applied: int = 0
    duplicates: int = 0
    dead_lettered: int = 0


class ConsumerRunner:
    """One handler, its consumer group on `topic`, and its tables in `store`; every Kafka
    client it opens (consumer, producer of dead letters and alerts, admin) gets
    `client_options`, the security options of `KafkaSecurity.client_options()`."""

    def __init__(
        self,
        handler: Handler,
        store: ViewStore,
        bootstrap: str,
        topic: str = "refunds.events",
        group: str | None = None,
        dlq_topic: str = "refunds.events.dlq",
        *,
        idle_seconds: float = 5.0,
        max_poll_records: int = 5000,
        session_timeout_ms: int = 10_000,
        heartbeat_interval_ms: int = 3_000,
        partitions: int = 3,
        client_options: Mapping[str, Any] = PLAINTEXT,
    ) -> None:
        self.handler, self.store, self.bootstrap = handler, store, bootstrap
        self.topic, self.dlq_topic = topic, dlq_topic
        self.group = group or handler.name
        self.idle_seconds, self.max_poll_records = idle_seconds, max_poll_records
        self.session = {
            "session_timeout_ms": session_timeout_ms,
            "heartbeat_interval_ms": heartbeat_interval_ms,
        }
        self.partitions = partitions
        self.client_options = client_options
        self.pause_after_commit = float(os.environ.get(PAUSE_HOOK) or 0)
        self.counts = Counts()
        postgres = isinstance(store, PostgresViews)
        store.ensure(f"consumer.{handler.name}", inbox_schema() + handler.schema(postgres))

    def run(self, stop: threading.Event, once: bool = False) -> Counts:
        """Consume until `stop` is set (or, with `once`, until idle and caught up)."""
        topics = {self.topic: self.partitions, self.dlq_topic: 1}
        create_topics(self.bootstrap, topics, self.client_options)
        consumer = KafkaConsumer(
            self.topic,
            bootstrap_servers=self.bootstrap,
            group_id=self.group,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_poll_records=self.max_poll_records,
            **self.session,
            **self.client_options,
        )
        producer = KafkaProducer(
            bootstrap_servers=self.bootstrap, acks="all", linger_ms=5, **self.client_options
        )
        try:
            self.handler.after_commit(self.store, producer)  # what a crash left unpublished
            idle_since = time.monotonic()
            tick = getattr(self.handler, "tick", None)
            while not stop.is_set():
                if tick is not None:
                    tick(self.store, producer)
                polled = consumer.poll(timeout_ms=300)
                records = [record for batch in polled.values() for record in batch]
                if records:
                    self.process(records, consumer, producer)
                    idle_since = time.monotonic()
                elif once and self._finished(consumer, time.monotonic() - idle_since):
                    break
        finally:
            consumer.close(autocommit=False)
            producer.close()
        return self.counts

    def process(self, records: Sequence[Any], consumer: Any, producer: Any) -> None:
        """Apply one polled batch, dead-letter what cannot be processed, commit offsets."""
        logger.debug("polled %d record(s)", len(records))
        parsed: list[tuple[Any, Delivered]] = []
        refused: list[tuple[Any, str]] = []
        for record in records:
            try:
                parsed.append((record, parse(record)))
            except Undeliverable as error:
                refused.append((record, str(error)))
        failures = self._apply([message for _, message in parsed])
        refused += [(record, failures[id(m)]) for record, m in parsed if id(m) in failures]
        futures = [producer.send(self.dlq_topic, **dead_letter(r, why)) for r, why in refused]
        for future in futures:
            future.get(timeout=30)
        for record, why in refused:
            logger.warning("offset %s/%s dead-lettered: %s", record.partition, record.offset, why)
        self.counts.dead_lettered += len(refused)
        logger.info("committed batch of %d record(s); committing offsets", len(records))
        if self.pause_after_commit:
            time.sleep(self.pause_after_commit)
        try:
            consumer.commit()
        except CommitFailedError:  # the group rebalanced: the batch comes again, deduplicated
            logger.warning("offset commit refused (rebalance); the batch will be redelivered")
        self.handler.after_commit(self.store, producer)

    def _apply(self, messages: list[Delivered]) -> dict[int, str]:
        """Apply the messages in one transaction; failing ones (by id()) and their reasons."""
        if not messages:
            return {}
        try:
            self._transaction(messages)
            return {}
        except Refused:
            pass  # rolled back: apply one by one so only the failing messages are refused
        failures: dict[int, str] = {}
        for message in messages:
            try:
                self._transaction([message])
            except Refused as refused:
                logger.error("refused %s", message.id, exc_info=refused.__cause__)
                failures[id(message)] = refused.reason
        return failures

    def _transaction(self, messages: list[Delivered]) -> None:
        with self.store.writing() as db:
            new = first_deliveries(db, self.handler.name, messages)
            apply_guarded(self.handler, db, new)
        applied, duplicates = len(new), len(messages) - len(new)
        self.counts.applied += applied
        self.counts.duplicates += duplicates
        logger.info("applied %d message(s), skipped %d duplicate(s)", applied, duplicates)

    def _finished(self, consumer: Any, idle: float) -> bool:
        """Idle long enough and at the end of every assigned partition (or idle far longer)."""
        if idle < self.idle_seconds:
            return False
        return caught_up(consumer) or idle >= 10 * self.idle_seconds


def caught_up(consumer: Any) -> bool:
    """The consumer has partitions and has read each of them to its end."""
    assigned = consumer.assignment()
    if not assigned:
        return False
    ends = consumer.end_offsets(list(assigned))
    return all(consumer.position(partition) >= ends[partition] for partition in assigned)
