"""Refund events as CloudEvents 1.0 in Kafka binary mode: `ce_*` headers and a JSON body.

The body is what a consumer needs to apply the event and to check the refund's hash chain on
arrival: the refund, its version, the event type and schema version, the time, the hash of
the previous event and of this one, and the payload exactly as the chain hashed it. It is
encoded canonically (sorted keys, no spaces, UTF-8), so one event always gives one byte
string. `schemas/` holds the JSON Schema of each body (see `ledger.delivery.schemas`).
"""

from __future__ import annotations

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
    attributes = {
        "ce_specversion": SPEC_VERSION,
        "ce_id": f"{refund_id}:{event.originator_version}",
        "ce_source": source,
        "ce_type": event_type(type(event)),
        "ce_subject": refund_id,
        "ce_time": event.timestamp.isoformat(),
        "content-type": CONTENT_TYPE,
    }
    headers = [(name, value.encode()) for name, value in attributes.items()]
    return headers, canonical_json(event_body(event))
