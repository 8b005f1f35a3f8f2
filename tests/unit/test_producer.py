"""The relay's partitioner: kafka-python's default choice for every key, hashes remembered."""

from __future__ import annotations

import uuid
from typing import Any

from kafka.partitioner.default import DefaultPartitioner

from ledger.kafka.producer import KeyPartitioner


class Cluster:
    def __init__(self, partitions: set[int]) -> None:
        self.partitions = partitions

    def topics(self) -> set[str]:
        return {"t"}

    def partitions_for_topic(self, topic: str) -> set[int] | None:
        return self.partitions if topic == "t" else None

    def available_partitions_for_topic(self, topic: str) -> set[int]:
        return self.partitions


def test_keyed_messages_go_where_the_default_partitioner_sends_them() -> None:
    ours, default = KeyPartitioner(remembered=16), DefaultPartitioner()
    keys = [str(uuid.uuid4()).encode() for _ in range(300)] + [b"", b"x", "é".encode()]
    for partitions in ({0}, {0, 1, 2}, {0, 1, 2, 3, 4, 5, 6}, {1, 4, 9}):
        cluster: Any = Cluster(partitions)
        for key in keys * 2:  # the second time from the cache (for the last 16 keys)
            expected = default.partition("t", key, key, b"v", b"v", cluster)
            assert ours.partition("t", key, key, b"v", b"v", cluster) == expected


def test_a_message_without_a_key_gets_one_of_the_partitions() -> None:
    cluster: Any = Cluster({0, 1, 2})
    assert KeyPartitioner().partition("t", None, None, b"v", b"v", cluster) in {0, 1, 2}
