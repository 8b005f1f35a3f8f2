"""The relay's connection to Kafka: its topic, created when missing, and a keyed producer.

The producer is idempotent with `acks="all"` (kafka-python 3.0.12's defaults, set here
explicitly): retries inside the client neither reorder nor duplicate the messages of one
partition, so the events of one refund (one key, one partition) arrive in version order.
Errors of `send()` surface only from the futures or `flush()`, so `publish` waits for every
future of the batch and raises the first failure; `send` hands the futures back (`Sent`) so
the relay can read and send its next page while the broker acknowledges this one. Keyed
messages are partitioned as kafka-python's default partitioner does (murmur2 of the key, as
the Java client), with the hashes of recent keys remembered. After a broker restart an idempotent
producer keeps failing (unknown producer id): the caller closes this publisher and opens a
new one, which also creates the topic again on a broker that lost it.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from kafka import KafkaProducer
from kafka.errors import KafkaError, KafkaTimeoutError
from kafka.partitioner.default import DefaultPartitioner, murmur2

from ledger.kafka.cloudevents import Headers
from ledger.kafka.defaults import DEFAULT_PARTITIONS, DEFAULT_TIMEOUT_SECONDS
from ledger.kafka.security import PLAINTEXT
from ledger.kafka.topics import create_topics


@dataclass(frozen=True)
class Message:
    """One Kafka record: the refund id as key, CloudEvents headers, the JSON body."""

    key: bytes
    headers: Headers
    value: bytes


def producer_settings(timeout_ms: int) -> dict[str, Any]:
    """The relay's KafkaProducer options but its partitioner (the benchmark's raw baseline
    uses these, with kafka-python's default partitioner)."""
    return {
        "enable_idempotence": True,
        "acks": "all",
        "linger_ms": 5,
        "batch_size": 256 * 1024,
        "allow_auto_create_topics": False,  # `ensure_topic` makes it, with its partitions
        "bootstrap_timeout_ms": timeout_ms,
        "max_block_ms": timeout_ms,
        "request_timeout_ms": timeout_ms,
        "delivery_timeout_ms": timeout_ms + 100,  # at least linger + request
    }


class KeyPartitioner(DefaultPartitioner):  # type: ignore[misc]
    """The default partitioner's choice for a keyed message (murmur2 of the key), with the
    hash of the last `remembered` keys cached: the pure-Python murmur2 is a good part of a
    send, and a refund's events share their key."""

    def __init__(self, remembered: int = 1 << 16) -> None:
        self._hash = lru_cache(maxsize=remembered)(murmur2)

    def partition(
        self,
        topic: str,
        key: Any,
        serialized_key: bytes | None,
        value: Any,
        serialized_value: bytes | None,
        cluster: Any,
    ) -> int:
        partitions = None if serialized_key is None else cluster.partitions_for_topic(topic)
        if not partitions:  # no key, or a topic not known yet: as the default does
            return int(
                super().partition(topic, key, serialized_key, value, serialized_value, cluster)
            )
        ordered = sorted(partitions)
        return int(ordered[(self._hash(serialized_key) & 0x7FFFFFFF) % len(ordered)])


class Sent:
    """The futures of one batch of sent messages."""

    def __init__(self, futures: list[Any], timeout: float) -> None:
        self.futures = futures
        self.timeout = timeout

    def wait(self) -> None:
        """Wait until the broker acknowledged every message (at most `timeout` seconds in
        all); raise a KafkaError for the first that failed or was not acknowledged in time
        (some may have been: at-least-once)."""
        deadline = time.monotonic() + self.timeout
        for future in self.futures:
            if not future.is_done:
                try:
                    future.get(max(deadline - time.monotonic(), 0.0))
                except KafkaTimeoutError:
                    raise KafkaTimeoutError("a message was not acknowledged in time") from None
            if future.failed():
                raise future.exception


class Publisher:
    """Publish batches of messages to one topic and wait until the broker acknowledged them.

    `client_options` are the security options (`KafkaSecurity.client_options()`) given to
    every Kafka client it opens."""

    def __init__(
        self,
        bootstrap: str,
        topic: str,
        partitions: int = DEFAULT_PARTITIONS,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
        client_options: Mapping[str, Any] = PLAINTEXT,
    ) -> None:
        self.bootstrap = bootstrap
        self.client_options = client_options
        self.topic = topic
        self.partitions = partitions
        self.timeout_ms = max(int(timeout * 1000), 1000)
        self._producer: Any = None

    def publish(self, messages: Sequence[Message]) -> None:
        """Send every message, then wait for all acknowledgements; raise a KafkaError if any
        was not acknowledged (some may have been: at-least-once)."""
        self.send(messages).wait()

    def send(self, messages: Sequence[Message]) -> Sent:
        """Hand every message to the producer (in order); `Sent.wait` for the broker."""
        producer = self._open()
        send, topic = producer.send, self.topic
        futures = [send(topic, key=m.key, value=m.value, headers=m.headers) for m in messages]
        return Sent(futures, self.timeout_ms * 2 / 1000)

    def close(self) -> None:
        """Drop the producer without waiting for what it still holds (re-sent anyway)."""
        producer, self._producer = self._producer, None
        if producer is None:
            return
        try:
            producer.close(timeout=0)
        except KafkaError:
            # kafka-python 3.0.12 flushes first and raises while batches are in flight,
            # before it stops its I/O thread: stop that thread, dropping the batches.
            sender = getattr(producer, "_sender", None)
            if sender is not None:
                sender.force_close()

    def _open(self) -> Any:
        if self._producer is None:
            self.ensure_topic()
            self._producer = KafkaProducer(
                bootstrap_servers=self.bootstrap,
                partitioner=KeyPartitioner(),
                **producer_settings(self.timeout_ms),
                **self.client_options,
            )
        return self._producer

    def ensure_topic(self) -> None:
        """Create the topic when the broker does not have it (another relay may race us)."""
        create_topics(
            self.bootstrap, {self.topic: self.partitions}, self.client_options, self.timeout_ms
        )
