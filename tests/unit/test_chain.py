"""The hash chain: a canonical encoding, and every refund event linked to its predecessor."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from uuid import UUID

from eventsourcing.persistence import StoredEvent

from ledger.audit.bundle import offline_mapper
from ledger.domain import payloads as e
from ledger.domain.chain import GENESIS, UNCHAINED, canonical_json, chain_hash, event_hash

from .builders import approved_refund, new_refund

REFUND_ID = UUID("12345678-1234-5678-1234-567812345678")
AT = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


def test_canonical_json_ignores_key_order_and_spacing() -> None:
    assert canonical_json({"b": 1, "a": [1, "é"]}) == canonical_json({"a": [1, "é"], "b": 1})
    assert canonical_json({"b": 1, "a": "é"}) == '{"a":"é","b":1}'.encode()


def test_chain_hash_is_sha256_hex_and_deterministic() -> None:
    first = chain_hash(REFUND_ID, 1, AT, "Requested", {"amount": "1.00"}, GENESIS)
    assert first == chain_hash(str(REFUND_ID), 1, AT, "Requested", {"amount": "1.00"}, GENESIS)
    assert len(first) == 64 and int(first, 16) >= 0


def test_chain_hash_changes_with_every_field() -> None:
    base = (REFUND_ID, 1, AT, "Requested", {"amount": "1.00"}, GENESIS)
    original = chain_hash(*base)
    variants = [
        (UUID(int=1), *base[1:]),
        (REFUND_ID, 2, *base[2:]),
        (REFUND_ID, 1, AT.replace(microsecond=1), *base[3:]),
        (REFUND_ID, 1, AT, "Verified", *base[4:]),
        (REFUND_ID, 1, AT, "Requested", {"amount": "1.01"}, GENESIS),
        (REFUND_ID, 1, AT, "Requested", {"amount": "1.00"}, "1" * 64),
    ]
    assert all(chain_hash(*variant) != original for variant in variants)


def test_first_event_starts_from_genesis_and_each_links_to_its_predecessor() -> None:
    refund = approved_refund()
    events = refund.collect_events()
    assert events[0].prev_hash == GENESIS  # type: ignore[attr-defined]
    for previous, event in zip(events, events[1:], strict=False):
        assert event.prev_hash == event_hash(previous)  # type: ignore[attr-defined]
    assert refund.chain_head == event_hash(events[-1])


def test_replayed_refund_has_the_same_chain_head() -> None:
    refund = new_refund()
    events = refund.collect_events()
    replayed = None
    for event in events:
        replayed = event.mutate(replayed)
    assert replayed is not None
    assert replayed.chain_head == refund.chain_head


def test_payload_decimal_is_hashed_as_written() -> None:
    note = e.RefundApproved(
        actor="manager:mia", policy_version="v", rule="r", amount=Decimal("10.50"), approvers=()
    )
    assert note.model_dump(mode="json")["amount"] == "10.50"


def test_events_stored_before_the_chain_still_load() -> None:
    mapper = offline_mapper()
    refund = new_refund()
    replayed = None
    for event in refund.collect_events():
        stored = mapper.to_stored_event(event)
        state = json.loads(stored.state)
        assert state.pop("class_version") == 2
        del state["prev_hash"]
        legacy = StoredEvent(
            originator_id=stored.originator_id,
            originator_version=stored.originator_version,
            topic=stored.topic,
            state=json.dumps(state).encode(),
        )
        loaded = mapper.to_domain_event(legacy)
        assert loaded.prev_hash == UNCHAINED  # type: ignore[attr-defined]
        replayed = loaded.mutate(replayed)  # type: ignore[attr-defined]
    assert replayed is not None and replayed.status == refund.status
