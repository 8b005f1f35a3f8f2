"""The compliance consumer's effect: archive rows, chain heads and alerts (docs/product.md §6)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from eventsourcing.persistence import PersistenceError
from psycopg import sql

from consumers.chain_check import recomputed_hash
from consumers.compliance import ComplianceHandler, open_compliance
from ledger.app.service import RefundLedger
from ledger.kafka.cloudevents import cloudevent
from ledger.store.tracking import ViewStore

from .compliance_support import (
    altered,
    dual_control,
    feed,
    flagged_and_overturned,
    messages,
    sla_overdue,
)
from .support import FakeClock


@pytest.fixture
def store(app: RefundLedger) -> ViewStore:
    return open_compliance(app)


def rows(store: ViewStore, table: str) -> list[dict[str, Any]]:
    with store.reading() as db:
        return db.rows(sql.SQL("SELECT * FROM {} ORDER BY 1").format(sql.Identifier(table)))


def alerts(store: ViewStore) -> list[tuple[str, str, int]]:
    return [(a["kind"], a["refund_id"], a["version"]) for a in rows(store, "compliance_alerts")]


def breaks(store: ViewStore) -> list[str]:
    return [a["detail"] for a in rows(store, "compliance_alerts") if a["kind"] == "chain_break"]


def test_every_event_is_archived_and_raises_exactly_its_alerts(
    app: RefundLedger, clock: FakeClock, store: ViewStore
) -> None:
    refunds = [flagged_and_overturned(app), dual_control(app), sla_overdue(app, clock)]
    sent = [m for refund in refunds for m in messages(app, refund.id)]

    feed(store, ComplianceHandler(), sent)

    archive = rows(store, "compliance_archive")
    assert [(a["ce_id"], a["hash"]) for a in archive] == [(m.id, m.body["hash"]) for m in sent]
    values = [cloudevent(e)[1].decode() for r in refunds for e in app.history(r.id)]
    assert [a["body"] for a in archive] == values  # the Kafka value, byte for byte
    heads = {
        h["refund_id"]: (h["version"], h["hash"]) for h in rows(store, "compliance_chain_heads")
    }
    assert heads == {str(r.id): (r.version, app.get(r.id).chain_head) for r in refunds}
    flagged, dual, sla = (str(r.id) for r in refunds)
    assert alerts(store) == [
        ("fraud_flag", flagged, 2),
        ("dispute_overturned", flagged, 7),
        ("dual_control_approval", dual, 5),
        ("sla_escalation", sla, 4),
        ("sla_escalation", sla, 5),
    ]


def test_a_skipped_version_breaks_the_chain_once(app: RefundLedger, store: ViewStore) -> None:
    sent = messages(app, dual_control(app).id)

    feed(store, ComplianceHandler(), [sent[0], *sent[2:]])

    assert breaks(store) == ["version gap: expected version 2, got 3"]
    assert len(rows(store, "compliance_archive")) == 4


def test_a_missing_version_arriving_late_is_archived_and_alerted(
    app: RefundLedger, store: ViewStore
) -> None:
    sent = messages(app, dual_control(app).id)
    feed(store, ComplianceHandler(), [sent[0], *sent[2:], sent[1]])

    assert breaks(store) == [
        "version gap: expected version 2, got 3",
        "version 2 arrived after version 5",
    ]
    assert [a["version"] for a in rows(store, "compliance_archive")] == [1, 3, 4, 5, 2]


def test_an_altered_prev_hash_breaks_the_chain(app: RefundLedger, store: ViewStore) -> None:
    first, second, *rest = messages(app, dual_control(app).id)
    forged = altered(second, prev_hash="f" * 64)
    forged = altered(forged, hash=recomputed_hash(forged.body))  # a forger who rehashed

    feed(store, ComplianceHandler(), [first, forged])

    expected = first.body["hash"]
    assert breaks(store) == [
        f"prev_hash mismatch at version 2: expected {expected}, got {'f' * 64}"
    ]


def test_an_altered_payload_no_longer_gives_its_hash(app: RefundLedger, store: ViewStore) -> None:
    sent = messages(app, dual_control(app).id)
    forged = altered(sent[-1], payload={"amount": "9000.00"})

    feed(store, ComplianceHandler(), [*sent[:-1], forged])

    assert breaks(store) == [
        f"hash mismatch at version 5: the content gives {recomputed_hash(forged.body)}, "
        f"the event says {sent[-1].body['hash']}"
    ]
    assert [a for a in alerts(store) if a[0] == "dual_control_approval"]  # still an approval


def test_a_version_arriving_again_with_other_content_is_archived_and_alerted(
    app: RefundLedger, store: ViewStore
) -> None:
    sent = messages(app, dual_control(app).id)
    handler = ComplianceHandler()
    feed(store, handler, sent)
    again = altered(replace(sent[1], source="/elsewhere"), payload={"passed": False})
    again = altered(again, hash=recomputed_hash(again.body))

    feed(store, handler, [again, replace(sent[2], source="/elsewhere")])

    archived = [(a["source"], a["version"]) for a in rows(store, "compliance_archive")]
    assert archived[-2:] == [("/elsewhere", 2), ("/elsewhere", 3)]
    assert breaks(store) == [
        f"version 2 arrived again with hash {again.body['hash']}, "
        f"archived with {sent[1].body['hash']}"
    ]  # an identical copy of version 3 is archived and raises nothing
    heads = rows(store, "compliance_chain_heads")
    assert [(h["version"], h["hash"]) for h in heads] == [(5, sent[-1].body["hash"])]


@pytest.mark.parametrize(
    "statement",
    [sql.SQL("UPDATE compliance_archive SET hash = 'forged'"),
     sql.SQL("DELETE FROM compliance_archive")],
)  # fmt: skip
def test_the_database_refuses_to_rewrite_the_archive(
    app: RefundLedger, store: ViewStore, statement: sql.SQL
) -> None:
    sent = messages(app, dual_control(app).id)
    feed(store, ComplianceHandler(), sent)
    before = rows(store, "compliance_archive")

    with pytest.raises(PersistenceError, match="compliance_archive is append-only"):
        with store.writing() as db:
            db.execute(statement)

    assert rows(store, "compliance_archive") == before
