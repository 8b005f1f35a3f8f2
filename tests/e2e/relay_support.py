"""Helpers of the relay's end-to-end tests: seed refunds, read a topic back, the oracle.

Topics are read with `assign()` to every partition up to the end offsets taken first (no
consumer group: instant, and exact about what the topic holds).
"""

from __future__ import annotations

import json
import time
import uuid
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from kafka import KafkaConsumer, TopicPartition
from kafka.consumer.fetcher import ConsumerRecord
from waiting import PATIENCE

from ledger.app.commands import RefundRequestIn
from ledger.bootstrap import bootstrap
from ledger.config import Settings
from ledger.domain.actor import Actor
from ledger.kafka.cloudevents import PUBLISHED_EVENTS
from ledger.kafka.relay import relay_state
from ledger.store.tracking import open_store

SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"
AGENT, MANAGER = Actor.parse("agent:ann"), Actor.parse("manager:bob")
FINANCE = Actor.parse("finance:fay")
READ_TIMEOUT_SECONDS = PATIENCE


def fresh_topic() -> str:
    return f"refunds.events.{uuid.uuid4().hex[:10]}"


def seed(url: str, refunds: int, prefix: str = "O") -> None:
    """`refunds` requests; every other one waits for a manager, who approves every fourth,
    which is then paid and settled (so many event types, on several aggregates)."""
    app = bootstrap(Settings(database_url=url)).ledger
    try:
        for n in range(refunds):
            form = dict(
                order_id=f"{prefix}-{n}",
                customer_id=f"{prefix}-C-{n}",
                amount="80.00" if n % 2 else "20.00",  # above 50.00 waits for a manager
                currency="EUR",
                order_total="100.00",
                reason="billing_error",
            )
            refund = app.request(AGENT, RefundRequestIn.model_validate(form))
            if n % 4 == 1:
                app.approve(refund.id, MANAGER, None, None)
                app.start_payout(refund.id, FINANCE, None)
                app.settle_payout(refund.id, FINANCE, f"PSP-{n}")
    finally:
        app.close()


def stored(url: str) -> tuple[list[tuple[str, int, str]], int]:
    """The refund events in the store as (refund id, version, type), and how many other events."""
    app = bootstrap(Settings(database_url=url)).ledger
    try:
        refund_events, others, start = [], 0, 0
        while page := app.recorder.select_notifications(
            start=start, limit=1000, inclusive_of_start=False
        ):
            for notification in page:
                event = app.mapper.to_domain_event(notification)
                if isinstance(event, PUBLISHED_EVENTS):
                    key = (str(event.originator_id), event.originator_version)
                    refund_events.append((*key, type(event).__name__))
                else:
                    others += 1
            start = page[-1].id
        return refund_events, others
    finally:
        app.close()


class Watch:
    """The relay's (position, head) for `topic`, read as `ledger relay status` does, on one
    open application (quick enough to poll)."""

    def __init__(self, url: str, topic: str) -> None:
        self.app = bootstrap(Settings(database_url=url)).ledger
        self.topic = topic
        self.store = open_store(self.app)

    def __call__(self) -> tuple[int, int]:
        state = relay_state(self.app, self.topic, self.store)
        return state.position, state.head

    def __enter__(self) -> Watch:
        return self

    def __exit__(self, *exc: object) -> None:
        self.app.close()


def read_topic(
    bootstrap_servers: str,
    topic: str,
    expected: int,
    client_options: Mapping[str, Any] | None = None,
) -> list[ConsumerRecord]:
    """Every record of the topic, read until `expected` distinct events (by `ce_id`) came and
    then a poll brought nothing more. Not up to the end offsets: Tansu's lag behind the last
    batch it holds. `client_options`: the security options of a TLS broker."""
    consumer = KafkaConsumer(
        bootstrap_servers=bootstrap_servers, enable_auto_commit=False, **(client_options or {})
    )
    try:
        partitions = consumer.partitions_for_topic(topic) or set()
        consumer.assign([TopicPartition(topic, p) for p in sorted(partitions)])
        consumer.seek_to_beginning()
        records: list[ConsumerRecord] = []
        deadline = time.monotonic() + READ_TIMEOUT_SECONDS
        while True:
            polled = [r for batch in consumer.poll(timeout_ms=500).values() for r in batch]
            records.extend(polled)
            if not polled and len(delivered(records)) >= expected:
                return records
            assert time.monotonic() < deadline, f"{len(records)} records, {expected} expected"
    finally:
        consumer.close()


def delivered(records: list[ConsumerRecord]) -> Counter[tuple[str, int]]:
    """How many times each (refund id, version) arrived."""
    return Counter((r.key.decode(), json.loads(r.value)["version"]) for r in records)


def validator(ce_type: str) -> Draft202012Validator:
    schema: dict[str, Any] = json.loads((SCHEMAS / f"{ce_type}.json").read_text())
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
