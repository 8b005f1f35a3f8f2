"""Stored compliance alerts go to the alerts topic after the commit, once each (an outbox)."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.consumer.fetcher import ConsumerRecord
from psycopg import sql
from waiting import PATIENCE

from consumers.compliance import ComplianceHandler, open_compliance
from consumers.witnessing import Witnessing
from ledger.app.service import RefundLedger
from ledger.audit.merkle import LeafNodes, leaf_hash
from ledger.audit.note import COSIGNATURE_V1, Checkpoint, Signer, sign
from ledger.audit.publish import PublishedLog
from ledger.audit.witness import Witness
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


def test_the_consumers_witness_raises_a_forked_log_to_the_alerts_topic_once(
    app: RefundLedger, kafka_bootstrap: str, producer: KafkaProducer, tmp_path: Path
) -> None:
    topic = f"alerts-{uuid.uuid4().hex[:12]}"
    create_topic(kafka_bootstrap, topic)
    log_key, signer = (
        Signer.generate("refunds.test/log"),
        Signer.generate("w.test/1", COSIGNATURE_V1),
    )
    published = tmp_path / "published"
    published.mkdir()
    honest = [leaf_hash(b"%d" % i) for i in range(6)]
    forked = [leaf_hash(b"forged"), *honest[1:], leaf_hash(b"6")]
    _publish_note(published, log_key, LeafNodes(honest), 6)
    witness = Witness(signer, log_key.verifier, tmp_path)
    handler = ComplianceHandler(
        alerts_topic=topic, witness=Witnessing(witness, PublishedLog(published), every=0)
    )
    store = open_compliance(app)
    handler.tick(store, producer)  # the first look: trusted, cosigned
    assert witness.kept() is not None and alert_rows(store) == []
    _publish_note(published, log_key, LeafNodes(forked), 7)  # no proof joins it to size 6
    handler.tick(store, producer)
    handler.tick(store, producer)  # the same fork: one alert
    rows = alert_rows(store)
    assert [r["kind"] for r in rows] == ["checkpoint_inconsistent"]
    assert rows[0]["version"] == 7 and rows[0]["published_at"] is not None
    (record,) = read_topic(kafka_bootstrap, topic)
    assert json.loads(record.value)["kind"] == "checkpoint_inconsistent"


def _publish_note(directory: Path, signer: Signer, tree: LeafNodes, size: int) -> None:
    note = sign(Checkpoint(signer.name, size, tree.root(size)).text(), signer).signed()
    (directory / "checkpoints").mkdir(exist_ok=True)
    (directory / "checkpoints" / str(size)).write_text(note)
    (directory / "checkpoint").write_text(note)
