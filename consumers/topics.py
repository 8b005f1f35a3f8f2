"""The Kafka side of a consumer that is not about messages: topics, and being caught up."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kafka import KafkaAdminClient
from kafka.admin import NewTopic
from kafka.errors import TopicAlreadyExistsError

from ledger.kafka.security import PLAINTEXT


def create_topics(
    bootstrap: str, wanted: dict[str, int], client_options: Mapping[str, Any] = PLAINTEXT
) -> None:
    """Create the topics (name -> partitions) that do not exist yet."""
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, **client_options)
    try:
        existing = set(admin.list_topics())
        missing = [NewTopic(name, n, 1) for name, n in wanted.items() if name not in existing]
        if missing:
            try:
                admin.create_topics(missing, validate_only=False)
            except TopicAlreadyExistsError:
                pass  # another process created one meanwhile
    finally:
        admin.close()


def caught_up(consumer: Any) -> bool:
    """The consumer has partitions and has read each of them to its end."""
    assigned = consumer.assignment()
    if not assigned:
        return False
    ends = consumer.end_offsets(list(assigned))
    return all(consumer.position(partition) >= ends[partition] for partition in assigned)
