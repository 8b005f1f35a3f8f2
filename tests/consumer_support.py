"""Helpers of the consumer tests: real refund events as CloudEvents, poison, the DLQ topic."""

from __future__ import annotations

import time
import uuid
from typing import Any

from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from waiting import PATIENCE

from ledger.app.commands import RefundRequestIn
from ledger.app.service import RefundLedger
from ledger.domain.actor import Actor
from ledger.kafka.cloudevents import PUBLISHED_EVENTS, cloudevent

FINANCE = Actor.parse("finance:fay")
AGENT = Actor.parse("agent:ann")
Message = dict[str, Any]  # the keyword arguments of KafkaProducer.send


def fresh_name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def request(app: RefundLedger, order: str, amount: str) -> uuid.UUID:
    """A small refund approved at once (billing error, within auto-approval)."""
    form = dict(
        order_id=order, customer_id="C-1", amount=amount, currency="EUR",
        order_total="100.00", reason="billing_error",
    )  # fmt: skip
    refund = app.request(AGENT, RefundRequestIn.model_validate(form))
    assert refund.status == "approved"
    return refund.id


def paid_and_retried(app: RefundLedger) -> tuple[str, str]:
    """A refund of 30.00 paid at once, one of 40.00 whose first payout failed; their ids."""
    paid = request(app, "O-1", "30.00")
    app.start_payout(paid, FINANCE, None)
    app.settle_payout(paid, FINANCE, "PSP-1")
    retried = request(app, "O-2", "40.00")
    app.start_payout(retried, FINANCE, None)
    app.fail_payout(retried, FINANCE, "account closed", "PSP-F1")
    app.start_payout(retried, FINANCE, "bank_transfer")
    app.settle_payout(retried, FINANCE, "PSP-2")
    return str(paid), str(retried)


def ledger_messages(app: RefundLedger) -> list[Message]:
    """Every published event in the app's store, as the relay sends it (key = refund id)."""
    messages: list[Message] = []
    for notification in app.recorder.select_notifications(start=0, limit=10_000):
        event = app.mapper.to_domain_event(notification)
        if isinstance(event, PUBLISHED_EVENTS):
            headers, value = cloudevent(event)
            messages.append({"key": str(event.originator_id).encode(), "value": value,
                             "headers": headers})  # fmt: skip
    return messages


def poisoned(good: Message) -> dict[str, Message]:
    """Messages no consumer can process, each named by what is wrong with it."""
    headers = list(good["headers"])
    unknown = [(n, b"refunds.Teleported.v1" if n == "ce_type" else v) for n, v in headers]
    return {
        "bad JSON": {**good, "value": b"{not json"},
        "schema violation": {**good, "value": good["value"].replace(b'"version":', b'"versio":')},
        "unknown type": {**good, "headers": unknown},
        "missing header": {**good, "headers": [(n, v) for n, v in headers if n != "ce_source"]},
    }


def produce(bootstrap: str, topic: str, messages: list[Message]) -> None:
    producer = KafkaProducer(bootstrap_servers=bootstrap, linger_ms=5)
    try:
        futures = [producer.send(topic, **message) for message in messages]
        for future in futures:
            future.get(timeout=10)
    finally:
        producer.close()


def read_topic(bootstrap: str, topic: str, count: int, timeout: float = PATIENCE) -> list[Any]:
    """Exactly `count` records of partition 0 of `topic` (no group: assigned directly)."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, auto_offset_reset="earliest")
    consumer.assign([TopicPartition(topic, 0)])
    records: list[Any] = []
    deadline = time.monotonic() + timeout
    try:
        while len(records) < count and time.monotonic() < deadline:
            for batch in consumer.poll(timeout_ms=200).values():
                records.extend(batch)
    finally:
        consumer.close()
    assert len(records) == count, f"{topic}: {len(records)} records, expected {count}"
    return records
