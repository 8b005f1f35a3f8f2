"""Two relays on one database and one topic (real broker, both back ends): the position moves
by compare and set, so a relay that lost the race neither moves it back nor skips a page."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import pytest
from kafka import KafkaConsumer, TopicPartition
from kafka.errors import KafkaTimeoutError
from waiting import PATIENCE

from ledger.app.commands import RefundRequestIn
from ledger.app.service import RefundLedger
from ledger.kafka.backoff import Backoff, BrokerUnavailable
from ledger.kafka.producer import Message, Publisher, Sent
from ledger.kafka.relay import Relay

from .support import AGENT


class RacedPublisher(Publisher):
    """A real publisher that lets another relay publish and move the position first."""

    def __init__(self, bootstrap: str, topic: str) -> None:
        super().__init__(bootstrap, topic)
        self.rival: Relay | None = None

    def publish(self, messages: Sequence[Message]) -> None:
        rival, self.rival = self.rival, None
        if rival is not None:
            assert rival.step()
        super().publish(messages)


def test_a_relay_that_lost_the_race_reads_on_from_the_winners_position(
    app: RefundLedger, kafka_bootstrap: str
) -> None:
    for n in range(3):
        form = dict(
            order_id=f"O-{n}",
            customer_id=f"C-{n}",
            amount="20.00",
            currency="EUR",
            order_total="100.00",
            reason="billing_error",
        )
        app.request(AGENT, RefundRequestIn.model_validate(form))
    head = app.recorder.max_notification_id()
    topic = f"race-{uuid.uuid4().hex[:10]}"
    winner = Relay(app, Publisher(kafka_bootstrap, topic), batch=4)
    raced = RacedPublisher(kafka_bootstrap, topic)
    loser = Relay(app, raced, batch=4)
    try:
        raced.rival = winner
        assert loser.step()  # read at 0; the winner moved to its page's end meanwhile
        assert loser.position == winner.position > 0  # not moved back, not moved twice
        assert loser.counts.published == winner.counts.published  # the same page, twice
        loser.catch_up(threading.Event())
        assert loser.position == head
    finally:
        winner.close()
        loser.close()


class NeverAcknowledged(Sent):
    """A sent page the broker never acknowledges."""

    def __init__(self) -> None:
        super().__init__([], 0.0)

    def wait(self) -> None:
        raise KafkaTimeoutError("a message was not acknowledged in time")


class SecondPageLost(Publisher):
    """A real publisher whose second page is never acknowledged."""

    sends = 0

    def send(self, messages: Sequence[Message]) -> Sent:
        self.sends += 1
        sent = super().send(messages)
        return NeverAcknowledged() if self.sends == 2 else sent


def request_refunds(app: RefundLedger, count: int) -> None:
    for n in range(count):
        form = dict(
            order_id=f"O-{n}",
            customer_id=f"C-{n}",
            amount="20.00",
            currency="EUR",
            order_total="100.00",
            reason="billing_error",
        )
        app.request(AGENT, RefundRequestIn.model_validate(form))


def read_all(bootstrap: str, topic: str, expected: int) -> list[Any]:
    """Records of every partition, polled until `expected` came and a poll brought none."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    try:
        partitions = consumer.partitions_for_topic(topic) or set()
        consumer.assign([TopicPartition(topic, p) for p in sorted(partitions)])
        consumer.seek_to_beginning()
        records: list[Any] = []
        deadline = time.monotonic() + PATIENCE
        while True:
            polled = [r for batch in consumer.poll(timeout_ms=500).values() for r in batch]
            records += polled
            if not polled and len(records) >= expected:
                return records
            assert time.monotonic() < deadline, f"{len(records)} records, {expected} expected"
    finally:
        consumer.close()


def test_a_page_sent_ahead_moves_the_position_only_once_acknowledged(
    app: RefundLedger, kafka_bootstrap: str
) -> None:
    request_refunds(app, 6)
    head = app.recorder.max_notification_id()
    topic = f"ahead-{uuid.uuid4().hex[:10]}"
    failing = Relay(app, SecondPageLost(kafka_bootstrap, topic), batch=4, backoff=Backoff(9, 9))
    try:
        with pytest.raises(BrokerUnavailable):
            failing.catch_up(threading.Event(), give_up_after=0)
        assert isinstance(failing.publisher, SecondPageLost)
        assert failing.publisher.sends == 3  # the third page went out before the second failed
        first_page = app.recorder.select_notifications(start=0, limit=4)
        assert failing.position == first_page[-1].id  # not past the unacknowledged page
    finally:
        failing.close()
    relay = Relay(app, Publisher(kafka_bootstrap, topic), batch=4)
    try:
        relay.catch_up(threading.Event())
        assert relay.position == head
        published = failing.counts.published + relay.counts.published  # each page once
    finally:
        relay.close()
    by_refund: dict[bytes, list[int]] = defaultdict(list)
    for record in read_all(kafka_bootstrap, topic, published):
        by_refund[record.key].append(json.loads(record.value)["version"])
    for versions in by_refund.values():  # at least once, in order, and again in order
        firsts = list(dict.fromkeys(versions))
        lasts = list(dict.fromkeys(reversed(versions)))[::-1]
        assert firsts == sorted(firsts) and lasts == sorted(lasts), versions
    assert sum(len(set(v)) for v in by_refund.values()) == published


def test_pages_sent_ahead_arrive_in_version_order_per_refund(
    app: RefundLedger, kafka_bootstrap: str
) -> None:
    request_refunds(app, 8)
    topic = f"order-{uuid.uuid4().hex[:10]}"
    relay = Relay(app, Publisher(kafka_bootstrap, topic), batch=3)
    try:
        relay.catch_up(threading.Event())
    finally:
        relay.close()
    records = read_all(kafka_bootstrap, topic, relay.counts.published)
    assert len(records) == relay.counts.published
    by_refund: dict[bytes, list[int]] = defaultdict(list)
    for record in records:
        by_refund[record.key].append(json.loads(record.value)["version"])
    assert len(by_refund) == 8
    assert all(versions == sorted(versions) for versions in by_refund.values())
