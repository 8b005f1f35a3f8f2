"""What a consumer accepts from `refunds.events`: checked CloudEvents, or one clear reason."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from consumers.inbound import parse, validators
from consumers.messages import Undeliverable
from ledger.kafka.cloudevents import cloudevent

from .builders import paid_refund


@dataclass
class Record:
    """The fields of a kafka-python ConsumerRecord that `parse` reads."""

    value: bytes | None
    headers: list[tuple[str, bytes]] = field(default_factory=list)
    topic: str = "refunds.events"
    partition: int = 0
    offset: int = 7
    key: bytes | None = None


def records() -> list[Record]:
    """The messages of a paid refund, as the relay publishes them."""
    return [
        Record(value, headers) for headers, value in map(cloudevent, paid_refund().collect_events())
    ]


def started() -> Record:
    [record] = [r for r in records() if dict(r.headers)["ce_type"] == b"refunds.PayoutStarted.v2"]
    return record


def with_header(record: Record, name: str, value: bytes | None) -> Record:
    headers = [(n, v) for n, v in record.headers if n != name]
    return Record(record.value, headers + ([(name, value)] if value is not None else []))


def with_body(record: Record, change: Any) -> Record:
    body = json.loads(record.value or b"")
    change(body)
    return Record(json.dumps(body).encode(), record.headers)


def refused(record: Record, reason: str) -> None:
    with pytest.raises(Undeliverable, match=reason):
        parse(record)


def test_every_published_event_of_a_paid_refund_is_delivered_with_its_attributes() -> None:
    messages = [parse(record) for record in records()]
    assert [m.event_type for m in messages] == [
        "Requested", "Verified", "RoutedForApproval", "Approved", "PayoutStarted", "PayoutSettled"
    ]  # fmt: skip
    started = messages[4]
    assert started.type == "refunds.PayoutStarted.v2"
    assert started.id == f"{started.subject}:{started.version}"
    assert started.source == "/refund-ledger"
    assert started.refund_id == started.subject
    assert started.payload["amount"] == "200.00"
    assert (started.topic, started.partition, started.offset) == ("refunds.events", 0, 7)


def test_a_missing_cloudevents_header_is_refused_by_name() -> None:
    for name in ("ce_id", "ce_source", "ce_type", "ce_subject", "ce_time", "content-type"):
        refused(with_header(started(), name, None), f"missing CloudEvents header {name}")


def test_a_wrong_spec_version_or_content_type_is_refused() -> None:
    refused(with_header(started(), "ce_specversion", b"0.3"), "unsupported ce_specversion '0.3'")
    refused(with_header(started(), "content-type", b"text/plain"), "content-type 'text/plain'")


def test_a_body_that_is_not_json_is_refused() -> None:
    refused(Record(b"{not json", started().headers), "body is not JSON")
    refused(Record(b"\xff\xfe", started().headers), "body is not UTF-8")
    refused(Record(b"[1, 2]", started().headers), "body is a JSON list, not an object")


def test_an_unknown_type_is_refused() -> None:
    refused(with_header(started(), "ce_type", b"refunds.Teleported.v1"), "unknown ce_type")
    refused(with_header(started(), "ce_type", b"refunds.PayoutStarted.v9"), "unknown ce_type")


def test_a_body_violating_its_schema_is_refused_with_the_place() -> None:
    def negative_version(body: dict[str, Any]) -> None:
        body["version"] = 0

    def float_amount(body: dict[str, Any]) -> None:
        body["payload"]["amount"] = 200.5

    refused(with_body(started(), negative_version), "violated at version")
    refused(with_body(started(), float_amount), "violated at payload/amount")


def test_a_body_of_another_type_than_its_header_says_is_refused() -> None:
    settled = [r for r in records() if dict(r.headers)["ce_type"] == b"refunds.PayoutSettled.v2"]
    refused(Record(settled[0].value, started().headers), "schema refunds.PayoutStarted.v2 violated")


def test_a_body_about_another_refund_than_the_subject_is_refused() -> None:
    other = dict(records()[0].headers)["ce_subject"]
    refused(with_header(started(), "ce_subject", other), "differs from ce_subject")


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=6,
)
EDGE_STRINGS = st.sampled_from(
    ["", "0" * 64, "a" * 64 + "\n", "A" * 64, "200.00\n", "1e5", "-0", "１", "2025-03-03",
     "2025-03-03T09:00:00", "12345678123412341234123456789abc", "PayoutStarted"]
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(
    index=st.integers(min_value=0, max_value=5),
    in_payload=st.booleans(),
    change=st.sampled_from(["replace", "delete", "add"]),
    which=st.integers(min_value=0, max_value=20),
    value=JSON_VALUES | EDGE_STRINGS,
)
def test_the_fast_check_never_passes_a_body_the_full_check_refuses(
    index: int, in_payload: bool, change: str, which: int, value: Any
) -> None:
    record = records()[index]
    check = validators()[dict(record.headers)["ce_type"].decode()]
    body = json.loads(record.value or b"")
    target = body["payload"] if in_payload else body
    name = sorted(target)[which % len(target)]
    if change == "replace":
        target[name] = value
    elif change == "delete":
        del target[name]
    else:
        target[f"extra_{which}"] = value
    if check.fast.is_valid(body):
        assert check.full.is_valid(body), body
    assert (check.first_error(body) is None) == check.full.is_valid(body)
