"""What is stored names the event's class and the payload's class name, never the payload's
module: the payloads could move from ledger/domain/payloads.py to payloads.py (issue 14)
without touching a stored event, and their module may move again."""

from __future__ import annotations

import json

from eventsourcing.persistence import JSONTranscoder

from ledger.app.service import RefundLedger
from ledger.domain.payloads import ALL_PAYLOADS

from .support import AGENT, form


def test_a_stored_event_names_its_payload_by_class_name_only(app: RefundLedger) -> None:
    refund = app.request(AGENT, form())

    stored = app.recorder.select_events(refund.id)
    states = [json.loads(event.state) for event in stored]
    payload_types = [state["payload"]["_type_"] for state in states]

    assert [event.topic for event in stored][0] == "ledger.domain.refund_events:Requested"
    assert payload_types[0] == "RefundRequested"
    assert all(b"ledger.domain.payloads" not in event.state for event in stored)
    assert all(b"ledger.domain.payloads" not in event.state for event in stored)


def test_every_payload_is_transcoded_under_its_class_name(app: RefundLedger) -> None:
    transcoder = app.mapper.transcoder
    assert isinstance(transcoder, JSONTranscoder)

    for model in ALL_PAYLOADS:
        assert transcoder.names[model.__name__].type is model
