"""Stored compliance alerts go to the alerts topic after the commit, once each (an outbox)."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.consumer.fetcher import ConsumerRecord
from psycopg import sql
from waiting import PATIENCE

from consumers.compliance import ComplianceHandler, open_compliance
from ledger.app.service import RefundLedger
from ledger.store.tracking import ViewStore
from localservers.tansu import TansuBroker, create_topic

from .compliance_support import feed, flagged_and_overturned, messages

CONSUME_TIMEOUT_SECONDS = PATIENCE


@pytest.fixture
def producer(kafka_bootstrap: str) -> Iterator[KafkaProducer]:
    producer = KafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    yield producer
    producer.close()


def read_topic(bootstrap: str, topic: str) -> list[ConsumerRecord]:
    """Every record of the one-partition topic, from the start (assigned: no group join)."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    try:
        partition = TopicPartition(topic, 0)
        consumer.assign([partition])
        consumer.seek_to_beginning(partition)
        end = consumer.end_offsets([partition])[partition]
        records: list[ConsumerRecord] = []
        deadline = time.monotonic() + CONSUME_TIMEOUT_SECONDS
        while len(records) < end and time.monotonic() < deadline:
            for batch in consumer.poll(timeout_ms=200).values():
                records.extend(batch)
        return records
    finally:
        consumer.close()


def alert_rows(store: ViewStore) -> list[dict[str, Any]]:
    with store.reading() as db:
        return db.rows(sql.SQL("SELECT * FROM compliance_alerts ORDER BY id"))


def test_alerts_are_published_once_with_their_kind_and_marked(
    app: RefundLedger, kafka_bootstrap: str, producer: KafkaProducer
) -> None:
    topic = f"alerts-{uuid.uuid4().hex[:12]}"
    create_topic(kafka_bootstrap, topic)
    store = open_compliance(app)
    handler = ComplianceHandler(alerts_topic=topic)
    refund = flagged_and_overturned(app)
    feed(store, handler, messages(app, refund.id))

    handler.after_commit(store, producer)
    handler.after_commit(store, producer)  # nothing is pending any more

    records = read_topic(kafka_bootstrap, topic)
    stored = alert_rows(store)
    assert [r.key for r in records] == [str(refund.id).encode()] * 2
    assert [dict(r.headers)["alert_kind"] for r in records] == [
        b"fraud_flag",
        b"dispute_overturned",
    ]
    values = [json.loads(r.value) for r in records]
    assert [v["alert_id"] for v in values] == [row["id"] for row in stored]
    assert values[1] == {
        "alert_id": stored[1]["id"],
        "kind": "dispute_overturned",
        "refund_id": str(refund.id),
        "version": 7,
        "ce_id": f"{refund.id}:7",
        "detail": "overturned by disputes:dora to 80.00: outage confirmed",
        "raised_at": stored[1]["raised_at"],
    }
    assert all(row["published_at"] for row in stored)


def test_an_alert_raised_later_is_the_only_one_published_next(
    app: RefundLedger, kafka_bootstrap: str, producer: KafkaProducer
) -> None:
    topic = f"alerts-{uuid.uuid4().hex[:12]}"
    create_topic(kafka_bootstrap, topic)
    store = open_compliance(app)
    handler = ComplianceHandler(alerts_topic=topic)
    sent = messages(app, flagged_and_overturned(app).id)
    feed(store, handler, sent[:-1])
    handler.after_commit(store, producer)

    feed(store, handler, sent[-1:])
    handler.after_commit(store, producer)

    kinds = [dict(r.headers)["alert_kind"] for r in read_topic(kafka_bootstrap, topic)]
    assert kinds == [b"fraud_flag", b"dispute_overturned"]


def test_alerts_stay_pending_while_the_broker_is_down_and_go_out_after(
    app: RefundLedger, kafka_broker: TansuBroker
) -> None:
    topic = f"alerts-{uuid.uuid4().hex[:12]}"
    store = open_compliance(app)
    handler = ComplianceHandler(alerts_topic=topic, publish_timeout=1.0)
    feed(store, handler, messages(app, flagged_and_overturned(app).id))
    stranded = KafkaProducer(bootstrap_servers=kafka_broker.bootstrap, max_block_ms=1000)
    with kafka_broker.down():
        try:
            handler.after_commit(store, stranded)  # logs, raises nothing
        finally:
            stranded.close(timeout=1)
        assert [row["published_at"] for row in alert_rows(store)] == [None, None]
    create_topic(kafka_broker.bootstrap, topic)  # the restarted broker is empty
    # a new producer: Tansu forgets producer ids on restart, which a real broker does not
    producer = KafkaProducer(bootstrap_servers=kafka_broker.bootstrap)
    try:
        handler.after_commit(store, producer)
    finally:
        producer.close()

    kinds = [dict(r.headers)["alert_kind"] for r in read_topic(kafka_broker.bootstrap, topic)]
    assert kinds == [b"fraud_flag", b"dispute_overturned"]
    assert all(row["published_at"] for row in alert_rows(store))
