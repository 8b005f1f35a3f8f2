"""The test broker itself: kafka-python round trips through Tansu, and stopping/starting it."""

from __future__ import annotations

import socket
import time
import uuid
from typing import Any

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
from kafka.consumer.fetcher import ConsumerRecord
from waiting import PATIENCE

from localservers.tansu import FAST_GROUP_JOIN, TansuBroker, create_topic

CONSUME_TIMEOUT_SECONDS = PATIENCE


def fresh_name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def group_consumer(bootstrap: str, topic: str, group: str) -> KafkaConsumer:
    """A consumer in `group` that commits by hand and starts at the oldest message."""
    return KafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=group,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        **FAST_GROUP_JOIN,
    )


def consume(consumer: KafkaConsumer, count: int) -> list[ConsumerRecord]:
    """Exactly `count` records (fails on fewer within the timeout)."""
    records: list[ConsumerRecord] = []
    deadline = time.monotonic() + CONSUME_TIMEOUT_SECONDS
    while len(records) < count and time.monotonic() < deadline:
        for batch in consumer.poll(timeout_ms=200).values():
            records.extend(batch)
    assert len(records) == count, f"got {len(records)} of {count} records"
    return records


def produce(bootstrap: str, topic: str, messages: list[dict[str, Any]]) -> None:
    producer = KafkaProducer(bootstrap_servers=bootstrap)
    try:
        for message in messages:
            producer.send(topic, **message).get(timeout=10)
    finally:
        producer.close()


def message(key: str, n: int) -> dict[str, Any]:
    headers = [("ce_id", f"{key}-{n}".encode()), ("content-type", b"application/json")]
    return {"key": key.encode(), "value": f'{{"n": {n}}}'.encode(), "headers": headers}


def test_keyed_messages_come_back_per_key_in_order_with_their_headers(kafka_bootstrap: str) -> None:
    topic = fresh_name("smoke")
    create_topic(kafka_bootstrap, topic, partitions=3)
    sent = [message(key, n) for n in range(5) for key in ("r-1", "r-2", "r-3")]
    produce(kafka_bootstrap, topic, sent)

    consumer = group_consumer(kafka_bootstrap, topic, fresh_name("group"))
    try:
        received = consume(consumer, len(sent))
    finally:
        consumer.close()

    for key in ("r-1", "r-2", "r-3"):
        mine = [r for r in received if r.key == key.encode()]
        expected = [m for m in sent if m["key"] == key.encode()]
        assert [r.value for r in mine] == [m["value"] for m in expected]
        assert [list(r.headers) for r in mine] == [m["headers"] for m in expected]
        assert len({r.partition for r in mine}) == 1  # one key, one partition: ordered


def test_a_group_resumes_after_its_committed_offset(kafka_bootstrap: str) -> None:
    topic, group = fresh_name("resume"), fresh_name("group")
    create_topic(kafka_bootstrap, topic)
    produce(kafka_bootstrap, topic, [message("r-1", n) for n in range(3)])
    first = group_consumer(kafka_bootstrap, topic, group)
    try:
        assert [r.offset for r in consume(first, 3)] == [0, 1, 2]
        first.commit()
    finally:
        first.close()

    produce(kafka_bootstrap, topic, [message("r-1", 3)])
    second = group_consumer(kafka_bootstrap, topic, group)
    try:
        [record] = consume(second, 1)
    finally:
        second.close()
    assert (record.offset, record.value) == (3, b'{"n": 3}')


def listening(broker: TansuBroker) -> bool:
    try:
        socket.create_connection(("127.0.0.1", broker.port), timeout=1).close()
        return True
    except OSError:
        return False


def topics(bootstrap: str) -> set[str]:
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        return set(admin.list_topics())
    finally:
        admin.close()


def test_a_stopped_broker_refuses_connections_and_starts_again_on_its_port(
    kafka_broker: TansuBroker,
) -> None:
    address = kafka_broker.bootstrap
    with kafka_broker.down():
        assert not kafka_broker.running
        assert not listening(kafka_broker)
    assert kafka_broker.running
    assert kafka_broker.bootstrap == address
    assert topics(address) == set()


def test_a_restarted_broker_is_empty_and_takes_messages_from_a_new_producer(
    kafka_broker: TansuBroker,
) -> None:
    bootstrap = kafka_broker.bootstrap
    create_topic(bootstrap, "before")
    produce(bootstrap, "before", [message("r-1", 0)])

    kafka_broker.restart()

    assert topics(bootstrap) == set()  # memory storage: topics, offsets and groups are gone
    create_topic(bootstrap, "after")
    produce(bootstrap, "after", [message("r-1", 1)])
    consumer = group_consumer(bootstrap, "after", fresh_name("group"))
    try:
        [record] = consume(consumer, 1)
    finally:
        consumer.close()
    assert record.value == b'{"n": 1}'
