"""A note marked for the customer (CustomerNoteAdded) on both back ends: stored in the hash
chain, read by every view, archived by the compliance consumer, and shown to its customer."""

from __future__ import annotations

from typing import Any

from psycopg import sql

from consumers.compliance import ComplianceHandler, open_compliance
from ledger.app.queries import RefundFilter, RefundQueries, TrailFilter
from ledger.app.service import RefundLedger
from ledger.audit.rows import verify_store
from ledger.domain.actor import Actor

from .compliance_support import feed, messages
from .support import AGENT, MANAGER, event_types, form

CUSTOMER = Actor.parse("customer:c-1")


def _noted(app: RefundLedger) -> Any:
    refund = app.request(AGENT, form(amount="80.00"))
    app.add_note(refund.id, MANAGER, "watch this one")
    app.add_note(refund.id, AGENT, "we are on it", "customer")
    return app.add_note(refund.id, CUSTOMER, "thank you")


def test_customer_notes_are_chained_and_verified(app: RefundLedger) -> None:
    refund = _noted(app)

    assert event_types(app, refund)[-3:] == ["NoteAdded", "CustomerNoteAdded", "CustomerNoteAdded"]
    report = verify_store(app)
    assert report.intact and report.events == refund.version


def test_the_views_list_customer_notes_and_the_customer_sees_only_them(
    app: RefundLedger,
) -> None:
    refund = _noted(app)
    queries = RefundQueries(app)

    trail = queries.search_trail(None, lambda: TrailFilter(type="CustomerNoteAdded")).found
    listed = queries.refunds(CUSTOMER, RefundFilter()).found
    seen = queries.history(CUSTOMER, refund.id)

    assert [(row["actor"], row["summary"]) for row in trail] == [
        ("agent:ann", "text=we are on it"),
        ("customer:c-1", "text=thank you"),
    ]
    assert listed == [queries.show(CUSTOMER, refund.id)]
    assert listed[0]["version"] == refund.version
    assert [(e["actor"], e.get("text")) for e in seen if e["type"].endswith("NoteAdded")] == [
        ("agent", "we are on it"),
        ("customer:c-1", "thank you"),
    ]


def test_the_compliance_consumer_archives_customer_notes_without_an_alert(
    app: RefundLedger,
) -> None:
    refund = _noted(app)
    store = open_compliance(app)

    feed(store, ComplianceHandler(), messages(app, refund.id))

    with store.reading() as db:
        archived = db.rows(
            sql.SQL("SELECT ce_type FROM {} ORDER BY ce_id").format(
                sql.Identifier("compliance_archive")
            )
        )
        alerts = db.rows(sql.SQL("SELECT kind FROM {}").format(sql.Identifier("compliance_alerts")))
    assert sum(row["ce_type"] == "refunds.CustomerNoteAdded.v2" for row in archived) == 2
    assert alerts == []
