"""The topics the relay and the consumers create: missing ones with their partitions, existing
ones left as they are."""

from __future__ import annotations

import uuid

from kafka import KafkaConsumer

from ledger.kafka.topics import create_topics
from localservers.tansu import create_topic


def _partitions(bootstrap: str, topic: str) -> int:
    consumer = KafkaConsumer(bootstrap_servers=bootstrap)
    try:
        return len(consumer.partitions_for_topic(topic) or ())
    finally:
        consumer.close()


def test_missing_topics_are_created_with_their_partitions_and_existing_ones_kept(
    kafka_bootstrap: str,
) -> None:
    existing, events, dlq = (f"{name}-{uuid.uuid4().hex[:12]}" for name in ("old", "ev", "dlq"))
    create_topic(kafka_bootstrap, existing, partitions=2)

    create_topics(kafka_bootstrap, {existing: 5, events: 3, dlq: 1}, timeout_ms=5000)
    create_topics(kafka_bootstrap, {events: 3})  # all there: nothing to do

    found = {topic: _partitions(kafka_bootstrap, topic) for topic in (existing, events, dlq)}
    assert found == {existing: 2, events: 3, dlq: 1}
