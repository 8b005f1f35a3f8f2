"""Overturns that wait for approval, as the read models and the compliance consumer see them:
the status row stays equal to `show --json`, the trail holds each event, the KPIs take the
approved amount, and the routing raises a `dispute_overturned` alert."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from uuid import UUID

from psycopg import sql

from consumers.compliance import ComplianceHandler, open_compliance
from ledger.app.presenters import refund_out
from ledger.app.service import RefundLedger
from ledger.domain.actor import Actor
from ledger.domain.refund import Refund
from ledger.projections.runner import Projections
from ledger.projections.status import refund_from_row

from .compliance_support import feed, messages
from .support import form

CUSTOMER = Actor.parse("customer:c-1")
DANA = Actor.parse("disputes:dana")
FAY, FINN, FRED, PAT = (Actor.parse(f"finance:{n}") for n in ("fay", "finn", "fred", "pat"))


def approved_overturn(app: RefundLedger) -> Refund:
    """20,000.00 rejected, overturned (waits for two approvals), approved, paid."""
    refund = app.request(Actor.parse("agent:ann"), form(amount="20000.00", order_total="40000.00"))
    app.reject(refund.id, FRED, "no proof")
    app.open_dispute(refund.id, CUSTOMER, "proof attached")
    app.resolve_dispute(refund.id, DANA, "overturned", Decimal("20000.00"), "proof holds")
    app.approve(refund.id, FAY, None, None)
    app.approve(refund.id, FINN, None, None)
    app.start_payout(refund.id, PAT, None)
    return app.settle_payout(refund.id, PAT, "PSP-20000")


def rejected_overturn(app: RefundLedger) -> Refund:
    """3,000.00 asked, 2,000.00 approved and paid, overturned to 3,000.00, overturn rejected."""
    refund = app.request(
        Actor.parse("agent:ann"), form(order_id="O-2", amount="3000.00", order_total="5000.00")
    )
    app.approve(refund.id, FAY, Decimal("2000.00"), None)
    app.start_payout(refund.id, PAT, None)
    app.settle_payout(refund.id, PAT, "PSP-2000")
    app.open_dispute(refund.id, CUSTOMER, "all of it")
    app.resolve_dispute(refund.id, DANA, "overturned", Decimal("3000.00"), "second invoice")
    return app.reject(refund.id, FINN, "the invoice is a copy")


def waiting_overturn(app: RefundLedger) -> Refund:
    refund = app.request(
        Actor.parse("agent:ann"), form(order_id="O-3", amount="1500.00", order_total="5000.00")
    )
    app.reject(refund.id, FRED, "no proof")
    app.open_dispute(refund.id, CUSTOMER, "proof attached")
    return app.resolve_dispute(refund.id, DANA, "overturned", Decimal("1500.00"), "proof holds")


def _rows(projections: Projections, table: str) -> list[dict[str, Any]]:
    with projections.store.reading() as db:
        return db.rows(sql.SQL("SELECT * FROM {} ORDER BY seq").format(sql.Identifier(table)))


def test_views_follow_overturns_that_wait_for_approval(app: RefundLedger) -> None:
    refunds = [approved_overturn(app), rejected_overturn(app), waiting_overturn(app)]
    projections = Projections(app)

    projections.catch_up()

    status = _rows(projections, "refund_status")
    assert [r["status"] for r in status] == ["paid", "paid", "pending_approval"]
    for row in status:
        assert refund_from_row(row) == refund_out(app.get(UUID(row["refund_id"])))
    trail = [(r["type"], r["rule"]) for r in _rows(projections, "decision_trail")]
    assert ("OverturnRouted", "approval.limits.disputes") in trail
    assert ("OverturnRejected", "rejection.overturn") in trail
    kpis = {r["refund_id"]: r for r in _rows(projections, "kpi_refunds")}
    approved, restored, waiting = (kpis[str(r.id)] for r in refunds)
    assert (approved["approved_amount"], approved["paid_amount"]) == ("20000.00", "20000.00")
    assert (restored["approved_amount"], restored["paid_amount"]) == ("2000.00", "2000.00")
    assert (waiting["decision"], waiting["approved_amount"]) == ("rejected", None)


def test_views_built_event_by_event_equal_the_refunds(app: RefundLedger) -> None:
    """Each event in a batch of its own: the row is loaded back between every two events."""
    projections = Projections(app)
    refunds = [waiting_overturn(app)]
    projections.catch_up()
    app.approve(refunds[0].id, FAY, None, None)
    projections.catch_up()
    refunds.append(rejected_overturn(app))
    projections.catch_up()

    for row in _rows(projections, "refund_status"):
        assert refund_from_row(row) == refund_out(app.get(UUID(row["refund_id"])))


def test_an_overturn_waiting_for_approval_raises_a_dispute_overturned_alert(
    app: RefundLedger,
) -> None:
    refund = approved_overturn(app)
    store = open_compliance(app)

    feed(store, ComplianceHandler(), messages(app, refund.id))

    with store.reading() as db:
        raised = db.rows(sql.SQL("SELECT kind, version, detail FROM compliance_alerts ORDER BY id"))
    types = [type(event).__name__ for event in app.history(refund.id)]
    assert [(a["kind"], a["version"]) for a in raised] == [
        ("dispute_overturned", types.index("OverturnRouted") + 1),
        ("dual_control_approval", types.index("Approved") + 1),
    ]
    assert raised[0]["detail"].startswith(
        "overturned by disputes:dana to 20000.00, waiting for 2 approval(s) at the finance tier"
    )
