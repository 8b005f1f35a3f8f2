"""The published contract: checked-in JSON Schemas match the models, and every body fits."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from eventsourcing.persistence import StoredEvent
from jsonschema import Draft202012Validator, ValidationError

from ledger.audit.bundle import offline_mapper
from ledger.domain.chain import GENESIS, UNCHAINED, canonical_json
from ledger.kafka.cloudevents import PUBLISHED_EVENTS, cloudevent, event_body, event_type
from ledger.kafka.schemas import generate

from .builders import (
    DISPUTES,
    FINANCE,
    MANAGER,
    POLICY,
    REQUESTER,
    actor,
    at,
    new_refund,
    paid_refund,
    paying_refund,
    pending_refund,
)

SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"
FILE_NAME = re.compile(r"^refunds\.(?P<type>\w+)\.v(?P<version>\d+)\.json$")


def checked_in(name: str) -> dict[str, Any]:
    schema: dict[str, Any] = json.loads((SCHEMAS / name).read_text(encoding="utf-8"))
    return schema


def validator(event: Any) -> Draft202012Validator:
    schema = checked_in(f"{event_type(type(event))}.json")
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def one_event_of_each_type() -> list[Any]:
    """Refunds driven through every path of the lifecycle, all their events in order."""
    disputed = paid_refund()
    disputed.add_note(actor(FINANCE), "customer called", POLICY, at(4))
    disputed.add_note(actor(FINANCE), "we called you back", POLICY, at(4), "customer")
    disputed.open_dispute(actor(REQUESTER), "customer contests the amount", POLICY, at(5))
    disputed.resolve_dispute(actor(DISPUTES), "upheld", None, "as agreed", POLICY, at(6))
    failed = paying_refund()
    failed.fail_payout(actor(FINANCE), "account closed", None, POLICY, at(3))
    dual = pending_refund("6000.00")
    dual.flag("fraud.refunds_per_customer", "4 refunds in 30 days", POLICY, at(1))
    dual.approve(actor(FINANCE), None, "first of two", POLICY, at(2))
    overdue = pending_refund("200.00")
    overdue.sweep_sla(POLICY, at(49))
    overdue.sweep_sla(POLICY, at(98))
    rejected = pending_refund()
    rejected.reject(actor(MANAGER), "no proof of purchase", POLICY, at(1))
    cancelled = new_refund(reason="damaged")
    cancelled.cancel(actor(REQUESTER), "customer found the parcel", POLICY, at(1))
    overturned = pending_refund("2000.00")
    overturned.reject(actor(FINANCE), "no proof", POLICY, at(1))
    overturned.open_dispute(actor(REQUESTER), "proof attached", POLICY, at(2))
    overturn = Decimal("2000.00")
    overturned.resolve_dispute(actor(DISPUTES), "overturned", overturn, "ok", POLICY, at(3))
    overturned.reject(actor("finance:fred"), "the proof is forged", POLICY, at(4))
    refunds = (disputed, failed, dual, overdue, rejected, cancelled, overturned)
    return [event for refund in refunds for event in refund.collect_events()]


def test_checked_in_schemas_match_the_models() -> None:
    for name, content in generate().items():
        path = SCHEMAS / name
        assert path.is_file(), f"{path} is missing: run `ledger schemas export --force`"
        assert path.read_text(encoding="utf-8") == content, (
            f"{path} differs from the models: run `ledger schemas export --force`"
        )


def test_checked_in_schemas_are_current_or_older_versions_of_published_events() -> None:
    current = {cls.__name__: int(event_type(cls).rsplit(".v", 1)[1]) for cls in PUBLISHED_EVENTS}
    for path in SCHEMAS.iterdir():
        match = FILE_NAME.match(path.name)
        assert match, f"{path.name} is not named refunds.TYPE.vN.json"
        assert match["type"] in current, f"{path.name}: no published event {match['type']}"
        assert int(match["version"]) <= current[match["type"]], f"{path.name}: unknown version"


def test_every_checked_in_schema_is_a_valid_json_schema() -> None:
    for path in SCHEMAS.glob("*.json"):
        Draft202012Validator.check_schema(checked_in(path.name))


def test_the_body_of_every_event_type_validates_against_its_schema() -> None:
    events = one_event_of_each_type()

    assert {type(event) for event in events} == set(PUBLISHED_EVENTS)
    for event in events:
        validator(event).validate(event_body(event))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda body: body["payload"].update(amount=100.0), "100.0 is not of type 'string'"),
        (lambda body: body["payload"].update(amount="1E+2"), "does not match"),
        (lambda body: body["payload"].pop("note"), "'note' is a required property"),
        (lambda body: body.update(extra=1), "Additional properties are not allowed"),
        (lambda body: body.update(refund_id="r-1"), "'r-1' is not a 'uuid'"),
        (lambda body: body.update(type="Rejected"), "'Approved' was expected"),
        (lambda body: body.update(prev_hash="abc"), "does not match"),
    ],
)
def test_a_body_that_breaks_the_contract_is_refused(change: Any, message: str) -> None:
    approved = [e for e in one_event_of_each_type() if type(e).__name__ == "Approved"][0]
    body = event_body(approved)
    change(body)

    with pytest.raises(ValidationError, match=re.escape(message)):
        validator(approved).validate(body)


def test_cloudevent_headers_name_the_event_and_the_body_is_canonical() -> None:
    requested = one_event_of_each_type()[0]

    headers, value = cloudevent(requested, source="/ledger-test")

    refund_id = str(requested.originator_id)
    assert dict(headers) == {
        "ce_specversion": b"1.0",
        "ce_id": f"{refund_id}:1".encode(),
        "ce_source": b"/ledger-test",
        "ce_type": b"refunds.Requested.v2",
        "ce_subject": refund_id.encode(),
        "ce_time": requested.timestamp.isoformat().encode(),
        "content-type": b"application/json",
    }
    assert value == canonical_json(json.loads(value))
    assert json.loads(value) == event_body(requested)


def test_bodies_carry_the_hash_chain_of_their_refund() -> None:
    bodies = [event_body(event) for event in paid_refund().collect_events()]

    assert bodies[0]["prev_hash"] == GENESIS
    for previous, body in zip(bodies, bodies[1:], strict=False):
        assert body["prev_hash"] == previous["hash"]
        assert body["version"] == previous["version"] + 1


def test_an_event_stored_before_the_chain_is_upcast_and_published_as_the_current_version() -> None:
    mapper = offline_mapper()
    stored = mapper.to_stored_event(new_refund().collect_events()[0])
    state = json.loads(stored.state)
    del state["prev_hash"]
    state.pop("class_version")  # version 1 was stored without one
    legacy = StoredEvent(
        originator_id=stored.originator_id,
        originator_version=stored.originator_version,
        topic=stored.topic,
        state=json.dumps(state).encode(),
    )

    loaded = mapper.to_domain_event(legacy)
    body = event_body(loaded)

    assert (body["schema_version"], body["prev_hash"]) == (2, UNCHAINED)
    validator(loaded).validate(body)
