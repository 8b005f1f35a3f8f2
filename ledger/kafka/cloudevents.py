"""Refund events as CloudEvents 1.0 in Kafka binary mode: `ce_*` headers and a JSON body.

The body is what a consumer needs to apply the event and to check the refund's hash chain on
arrival: the refund, its version, the event type and schema version, the time, the hash of
the previous event and of this one, and the payload exactly as the chain hashed it. It is
encoded canonically (sorted keys, no spaces, UTF-8), so one event always gives one byte
string. `schemas/` holds the JSON Schema of each body (see `ledger.kafka.schemas`).

`cloudevent` is the relay's hot path: it dumps and encodes the payload once and splices it
into both the chain hash's input and the body, byte for byte what `canonical_json` gives
for `event_body` (tests/unit/test_cloudevents.py holds the two paths equal).
"""

from __future__ import annotations

import hashlib
from functools import cache
from json.encoder import encode_basestring  # what json.dumps(ensure_ascii=False) uses
from typing import Any

from ledger.domain.chain import canonical_json, event_hash
from ledger.domain.refund_events import CHAINED_EVENTS

SPEC_VERSION = "1.0"
CONTENT_TYPE = "application/json"
DEFAULT_SOURCE = "/refund-ledger"
TYPE_PREFIX = "refunds"

#: The events the relay publishes: those of refunds (key = refund id). Orders, customer and
#: address histories are the ledger's own bookkeeping for its invariants and fraud rules.
PUBLISHED_EVENTS: tuple[type[Any], ...] = CHAINED_EVENTS

Headers = list[tuple[str, bytes]]


def schema_version(event_class: type[Any]) -> int:
    """The event class's stored version (eventsourcing's `class_version`, 1 when unset)."""
    return int(getattr(event_class, "class_version", 1))


def event_type(event_class: type[Any]) -> str:
    """The CloudEvents type and schema name, e.g. `refunds.Requested.v2`."""
    return f"{TYPE_PREFIX}.{event_class.__name__}.v{schema_version(event_class)}"


def event_body(event: Any) -> dict[str, Any]:
    """The JSON body of one refund event (as its schema in `schemas/` describes it)."""
    return {
        "refund_id": str(event.originator_id),
        "version": event.originator_version,
        "type": type(event).__name__,
        "schema_version": schema_version(type(event)),
        "at": event.timestamp.isoformat(),
        "prev_hash": event.prev_hash,
        "hash": event_hash(event),
        "payload": event.payload.model_dump(mode="json"),
    }


def cloudevent(event: Any, source: str = DEFAULT_SOURCE) -> tuple[Headers, bytes]:
    """The Kafka headers and value of one refund event, CloudEvents 1.0 binary mode.

    `ce_id` is the refund id and version, the same on every redelivery, so that a consumer
    deduplicates by `ce_source` and `ce_id`.
    """
    if not isinstance(event, PUBLISHED_EVENTS):
        raise TypeError(f"{type(event).__name__} is not a published refund event")
    refund_id = str(event.originator_id)
    version = event.originator_version
    at = event.timestamp.isoformat()
    event_class = type(event)
    name, ce_type = _names(event_class)
    headers = [
        ("ce_specversion", _SPEC_VERSION),
        ("ce_id", f"{refund_id}:{version}".encode()),
        ("ce_source", _encoded(source)),
        ("ce_type", ce_type),
        ("ce_subject", refund_id.encode()),
        ("ce_time", at.encode()),
        ("content-type", _CONTENT_TYPE),
    ]
    return headers, _body(event, refund_id, version, at, name, schema_version(event_class))


_SPEC_VERSION = SPEC_VERSION.encode()
_CONTENT_TYPE = CONTENT_TYPE.encode()


@cache
def _encoded(text: str) -> bytes:
    return text.encode()


_NAMES: dict[type[Any], tuple[str, bytes]] = {}


def _names(event_class: type[Any]) -> tuple[str, bytes]:
    """The class name as a JSON string, and the `ce_type` header value (remembered)."""
    names = _NAMES.get(event_class)
    if names is None:
        names = encode_basestring(event_class.__name__), event_type(event_class).encode()
        _NAMES[event_class] = names
    return names


def _body(event: Any, refund_id: str, version: int, at: str, name: str, schema: int) -> bytes:
    """`canonical_json(event_body(event))`, with the payload dumped and encoded once.

    Keys in sorted order: the hash's input (chain.chain_hash) is at, payload, prev, refund,
    type, version; the body's is at, hash, payload, prev_hash, refund_id, schema_version,
    type, version. Strings are encoded as json.dumps(ensure_ascii=False) encodes them.
    """
    payload = canonical_json(event.payload.model_dump(mode="json")).decode()
    at_json, prev_json = encode_basestring(at), encode_basestring(event.prev_hash)
    refund_json = encode_basestring(refund_id)
    chained = (
        f'{{"at":{at_json},"payload":{payload},"prev":{prev_json},"refund":{refund_json},'
        f'"type":{name},"version":{version}}}'
    )
    digest = hashlib.sha256(chained.encode()).hexdigest()
    return (
        f'{{"at":{at_json},"hash":"{digest}","payload":{payload},"prev_hash":{prev_json},'
        f'"refund_id":{refund_json},"schema_version":{schema},"type":{name},'
        f'"version":{version}}}'
    ).encode()
