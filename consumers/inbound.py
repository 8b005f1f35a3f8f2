"""Turn one Kafka record from `refunds.events` into a `Delivered` message, or refuse it.

A record must carry the CloudEvents 1.0 binary-mode headers, a UTF-8 JSON body of a type
the ledger publishes, valid against that type's JSON Schema, and agree with its headers (the
body's refund is the subject, its type and schema version are the `ce_type`). Anything else
is `Undeliverable` with one reason, for the dead-letter topic.

Bodies are checked by `jsonschema_rs` (compiled, ~100x faster here); only a body it finds
invalid is checked again by `jsonschema`, which decides and names the reason, exactly as
before. `jsonschema_rs` is never more lenient on these schemas (it also checks `date-time`,
and its `$` does not match before a final newline): tests/unit/test_inbound.py holds that.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any, Protocol

import jsonschema_rs
from jsonschema import Draft202012Validator, ValidationError

from consumers.messages import Delivered, Undeliverable
from ledger.kafka.cloudevents import CONTENT_TYPE, PUBLISHED_EVENTS, SPEC_VERSION, event_type
from ledger.kafka.schemas import body_schema

REQUIRED_HEADERS = (
    "ce_specversion",
    "ce_id",
    "ce_source",
    "ce_type",
    "ce_subject",
    "ce_time",
    "content-type",
)


class Record(Protocol):
    """What `parse` reads of a kafka-python ConsumerRecord."""

    topic: str
    partition: int
    offset: int
    value: bytes | None
    headers: Any  # a list of (name, bytes) pairs


@dataclass(frozen=True)
class BodyCheck:
    """The JSON Schema of one published type, compiled twice: fast, and explanatory."""

    fast: Any  # a jsonschema_rs validator
    full: Draft202012Validator

    def first_error(self, body: Any) -> ValidationError | None:
        """None for a valid body, else the first of its errors (by text) that `jsonschema`
        reports."""
        if self.fast.is_valid(body):
            return None
        return next(iter(sorted(self.full.iter_errors(body), key=str)), None)


@cache
def validators() -> dict[str, BodyCheck]:
    """One compiled check per published type (`refunds.Approved.v2`), built once."""
    checks = {}
    for cls in PUBLISHED_EVENTS:
        schema = body_schema(cls)
        checks[event_type(cls)] = BodyCheck(
            jsonschema_rs.validator_for(schema, validate_formats=True),
            Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER),
        )
    return checks


def parse(record: Record) -> Delivered:
    """The checked message of `record`, or `Undeliverable` saying what is wrong with it."""
    headers = _headers(record)
    if headers["ce_specversion"] != SPEC_VERSION:
        raise Undeliverable(f"unsupported ce_specversion {headers['ce_specversion']!r}")
    if headers["content-type"].split(";")[0].strip() != CONTENT_TYPE:
        raise Undeliverable(f"content-type {headers['content-type']!r} is not {CONTENT_TYPE}")
    try:
        time = datetime.fromisoformat(headers["ce_time"])
    except ValueError:
        raise Undeliverable(f"ce_time {headers['ce_time']!r} is not an ISO 8601 time") from None
    validator = validators().get(headers["ce_type"])
    if validator is None:
        raise Undeliverable(f"unknown ce_type {headers['ce_type']!r}")
    body = _body(record.value)
    error = validator.first_error(body)
    if error is not None:
        where = "/".join(str(part) for part in error.absolute_path) or "(body)"
        raise Undeliverable(f"schema {headers['ce_type']} violated at {where}: {error.message}")
    if body["refund_id"] != headers["ce_subject"]:
        raise Undeliverable(
            f"body refund_id {body['refund_id']} differs from ce_subject {headers['ce_subject']}"
        )
    return Delivered(
        source=headers["ce_source"],
        id=headers["ce_id"],
        type=headers["ce_type"],
        subject=headers["ce_subject"],
        time=time,
        body=body,
        topic=record.topic,
        partition=record.partition,
        offset=record.offset,
    )


def _headers(record: Record) -> dict[str, str]:
    found: dict[str, str] = {}
    for name, value in record.headers or ():
        try:
            found[name] = bytes(value or b"").decode("utf-8")
        except UnicodeDecodeError:
            raise Undeliverable(f"header {name} is not UTF-8") from None
    for name in REQUIRED_HEADERS:
        if not found.get(name):
            raise Undeliverable(f"missing CloudEvents header {name}")
    return found


def _body(value: bytes | None) -> dict[str, Any]:
    if not value:
        raise Undeliverable("empty body")
    try:
        body = json.loads(value.decode("utf-8"))
    except UnicodeDecodeError:
        raise Undeliverable("body is not UTF-8") from None
    except json.JSONDecodeError as error:
        raise Undeliverable(f"body is not JSON: {error}") from None
    if not isinstance(body, dict):
        raise Undeliverable(f"body is a JSON {type(body).__name__}, not an object")
    return body
