"""The relay's CloudEvents: the encode-once body is byte for byte the canonical encoding of
`event_body`, and its hash is the chain's hash, whatever the strings hold."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.domain.chain import UNCHAINED, canonical_json, event_hash
from ledger.kafka.cloudevents import PUBLISHED_EVENTS, cloudevent, event_body, event_type

from .builders import FINANCE, POLICY, actor, at, new_refund, paid_refund


def reference(event: Any, source: str) -> tuple[list[tuple[str, bytes]], bytes]:
    """The CloudEvent as the plain definitions give it (event_body, canonical_json)."""
    refund_id = str(event.originator_id)
    attributes = {
        "ce_specversion": "1.0",
        "ce_id": f"{refund_id}:{event.originator_version}",
        "ce_source": source,
        "ce_type": event_type(type(event)),
        "ce_subject": refund_id,
        "ce_time": event.timestamp.isoformat(),
        "content-type": "application/json",
    }
    return [(k, v.encode()) for k, v in attributes.items()], canonical_json(event_body(event))


def published(refund: Any) -> list[Any]:
    events = [event for event in refund.collect_events() if isinstance(event, PUBLISHED_EVENTS)]
    assert events
    return events


def test_every_event_of_a_paid_refund_encodes_as_the_reference() -> None:
    for event in published(paid_refund()):
        assert cloudevent(event) == reference(event, "/refund-ledger")
        assert cloudevent(event, "/elsewhere") == reference(event, "/elsewhere")


def test_the_body_carries_the_chain_hash_and_the_unchained_prev_hash() -> None:
    for event in published(paid_refund()):
        _, body = cloudevent(event)
        assert event_hash(event) in body.decode()
    event = published(new_refund())[0]
    object.__setattr__(event, "prev_hash", UNCHAINED)  # as an upcast v1 event has
    assert cloudevent(event) == reference(event, "/refund-ledger")


@settings(max_examples=60, deadline=None)
@given(
    text=st.text(min_size=1, max_size=40).filter(lambda t: t.strip()),
    reference_id=st.text(min_size=1, max_size=20).filter(lambda t: t.strip()),
)
def test_any_text_encodes_as_the_reference(text: str, reference_id: str) -> None:
    refund = paid_refund()
    refund.add_note(actor(FINANCE), text, POLICY, at(4))
    for event in published(refund):
        assert cloudevent(event, source=f"/src/{reference_id}") == reference(
            event, f"/src/{reference_id}"
        )
