"""`ledger compliance alerts|archive` after the compliance consumer handled refund events."""

from __future__ import annotations

import json
from uuid import UUID

from consumers.compliance import ComplianceHandler, open_compliance
from consumers.messages import Delivered
from ledger.bootstrap import bootstrap
from ledger.config import Settings
from ledger.kafka.cloudevents import cloudevent

from ..in_process import Ledger


def handle_every_event(database_url: str, refund_id: str) -> int:
    """Feed the refund's stored events to the compliance handler, as the runner would."""
    app = bootstrap(Settings(database_url=database_url)).ledger
    try:
        store, handler = open_compliance(app), ComplianceHandler()
        events = app.history(UUID(refund_id))
        for event in events:
            headers, value = cloudevent(event)
            ce = {name: raw.decode() for name, raw in headers}
            message = Delivered(
                ce["ce_source"], ce["ce_id"], ce["ce_type"], ce["ce_subject"],
                event.timestamp, json.loads(value),
            )  # fmt: skip
            with store.writing() as db:
                handler.handle(db, message)
        return len(events)
    finally:
        app.close()


def test_alerts_lists_the_fraud_flag_of_a_handled_refund(ledger: Ledger) -> None:
    refund = ledger.request(amount="90.00", **{"order-total": "100.00"})
    handled = handle_every_event(ledger.database_url, refund["id"])

    found = ledger.ok("compliance", "alerts")
    archived = ledger.ok("compliance", "archive", "--refund", refund["id"])

    assert [(a["kind"], a["refund_id"], a["version"]) for a in found] == [
        ("fraud_flag", refund["id"], 2)
    ]
    assert found[0]["detail"].startswith("fraud.refund_to_order_ratio: ")
    assert found[0]["published_at"] is None  # nothing has published it yet
    assert [a["version"] for a in archived] == list(range(1, handled + 1))
    assert archived[0]["body"]["type"] == "Requested"
    assert ledger.ok("compliance", "alerts", "--kind", "chain_break") == []


def test_alerts_refuses_an_unknown_kind(ledger: Ledger) -> None:
    outcome = ledger.run("compliance", "alerts", "--kind", "bogus")

    assert outcome.code == 2, outcome.describe()  # a usage error, as for every bad input
    assert "unknown alert kind 'bogus': choose one of fraud_flag," in outcome.stderr
    assert outcome.stdout == ""
