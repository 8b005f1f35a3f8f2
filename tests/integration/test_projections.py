"""Read models: the status and decision-trail views match the event store, exactly once."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.persistence import IntegrityError
from psycopg import sql

from ledger.app.presenters import event_out, refund_out
from ledger.app.service import Clock, RefundLedger
from ledger.demo import run_demo
from ledger.projections.base import Fact
from ledger.projections.kpis import KpiView
from ledger.projections.payouts import PayoutsView
from ledger.projections.runner import Projections
from ledger.projections.status import StatusView, refund_from_row
from ledger.projections.trail import DecisionTrailView
from ledger.store.tracking import Db

from .support import AGENT, MANAGER, form

TABLES = ("refund_status", "decision_trail", "payouts", "payout_refunds", "kpi_refunds")


def _rows(projections: Projections, table: str, order: str) -> list[dict[str, Any]]:
    with projections.store.reading() as db:
        return db.rows(
            sql.SQL("SELECT * FROM {} ORDER BY {}").format(sql.Identifier(table), sql.SQL(order))
        )


def _demo(make_app: Callable[..., RefundLedger], database_url: str) -> RefundLedger:
    run_demo(lambda clock: make_app(database_url, clock=clock), lambda line: None)
    return make_app(database_url)


def test_status_rows_equal_show_json_on_every_lifecycle_path(
    make_app: Callable[..., RefundLedger], database_url: str
) -> None:
    app = _demo(make_app, database_url)
    projections = Projections(app)
    projections.catch_up()
    rows = _rows(projections, "refund_status", "seq")
    assert [r["refund_id"] for r in rows] == [str(i) for i in app.refund_ids()]
    for row in rows:
        assert refund_from_row(row) == refund_out(app.get(UUID(row["refund_id"])))


def test_decision_trail_holds_every_refund_event_once(
    make_app: Callable[..., RefundLedger], database_url: str
) -> None:
    app = _demo(make_app, database_url)
    projections = Projections(app)
    projections.catch_up()
    trail = _rows(projections, "decision_trail", "seq")
    expected = [
        (str(refund_id), event.originator_version, type(event).__name__)
        for refund_id in app.refund_ids()
        for event in app.history(refund_id)
    ]
    assert sorted((r["refund_id"], r["version"], r["type"]) for r in trail) == sorted(expected)


def test_payouts_view_has_one_row_per_attempt_with_its_outcome(
    make_app: Callable[..., RefundLedger], database_url: str
) -> None:
    app = _demo(make_app, database_url)
    projections = Projections(app)
    projections.catch_up()
    expected = {}
    for refund_id in app.refund_ids():
        for event in app.history(refund_id):
            fields = event_out(event)
            key = (str(refund_id), fields.get("attempt"))
            if fields["type"] == "PayoutStarted":
                expected[key] = ("pending", fields["amount"], fields["method"], None)
            elif fields["type"] in ("PayoutSettled", "PayoutFailed"):
                outcome = "settled" if fields["type"] == "PayoutSettled" else "failed"
                expected[key] = (outcome, *expected[key][1:3], fields.get("reference"))
    rows = _rows(projections, "payouts", "seq")
    assert (
        expected
        and {
            (r["refund_id"], r["attempt"]): (r["status"], r["amount"], r["method"], r["reference"])
            for r in rows
        }
        == expected
    )
    assert all(r["currency"] and r["order_id"] for r in rows)


def test_incremental_views_equal_rebuilt_views(
    make_app: Callable[..., RefundLedger], database_url: str, clock: Clock
) -> None:
    app = make_app(database_url, clock=clock)
    projections = Projections(app)
    first = app.request(AGENT, form(amount="60.00"))
    projections.catch_up()
    app.approve(first.id, MANAGER, None, None)
    projections.catch_up()
    app.request(AGENT, form(amount="20.00", order_id="O-2"))
    app.add_note(first.id, AGENT, "called the customer")
    projections.catch_up()
    incremental = {t: _rows(projections, t, "1, 2") for t in TABLES}
    projections.rebuild()
    rebuilt = {t: _rows(projections, t, "1, 2") for t in TABLES}
    assert incremental == rebuilt
    assert len(rebuilt["refund_status"]) == 2


def test_a_second_reader_never_applies_a_batch_twice(
    make_app: Callable[..., RefundLedger], database_url: str
) -> None:
    app = make_app(database_url)
    for n in range(5):
        app.request(AGENT, form(order_id=f"O-{n}"))
    one, two = Projections(app), Projections(make_app(database_url))
    assert one.catch_up(batch=3) > 0
    two.catch_up(batch=2)
    one.catch_up()
    trail = _rows(one, "decision_trail", "seq")
    events = sum(len(app.history(refund_id)) for refund_id in app.refund_ids())
    assert len(trail) == events
    assert len({(r["refund_id"], r["version"]) for r in trail}) == events
    assert all(s.lag == 0 for s in one.states())


def test_lag_counts_unseen_events_even_across_gaps_in_the_ids(
    make_app: Callable[..., RefundLedger], database_url: str
) -> None:
    app = make_app(database_url)
    refund = app.request(AGENT, form(order_id="O-1", amount="80.00"))
    stale = app.get(refund.id)
    app.add_note(refund.id, MANAGER, "first writer wins")
    stale.add_note(MANAGER, "stale writer loses", app.policy, app.clock())
    with pytest.raises(IntegrityError):
        app.save(stale)  # on PostgreSQL the failed insert burns a notification id
    app.request(AGENT, form(order_id="O-2"))

    stored = len(app.recorder.select_notifications(start=1, limit=10_000))
    views = Projections(app)
    if database_url.startswith("postgresql"):
        assert views.states()[0].head > stored, "no gap in the ids: the test shows nothing"
    assert {s.lag for s in views.states()} == {stored}
    views.catch_up()
    assert {(s.lag, s.position) for s in views.states()} == {(0, s.head) for s in views.states()}


def test_views_built_one_event_at_a_time_equal_views_built_in_one_page(
    make_app: Callable[..., RefundLedger], database_url: str
) -> None:
    app = _demo(make_app, database_url)  # every lifecycle path: payouts failed, disputes, SLA
    projections = Projections(app)
    projections.catch_up(batch=1)
    one_by_one = {t: _rows(projections, t, "1, 2") for t in TABLES}
    for name, view in projections.views.items():
        projections.store.reset(name, view.tables)
    projections.catch_up(batch=10_000)
    assert {t: _rows(projections, t, "1, 2") for t in TABLES} == one_by_one
    assert all(one_by_one[t] for t in TABLES)


class _FailingKpis(KpiView):
    def process(self, db: Db, batch: Sequence[Fact]) -> None:
        super().process(db, batch)
        raise RuntimeError("the KPI view fails after writing its rows")


def test_a_view_failing_midway_through_a_page_leaves_every_view_and_position_as_before(
    make_app: Callable[..., RefundLedger], database_url: str
) -> None:
    app = make_app(database_url)
    for n in range(3):
        app.request(AGENT, form(order_id=f"O-{n}"))
    views = [StatusView(), DecisionTrailView(), PayoutsView(), _FailingKpis()]
    failing = Projections(app, views)
    with pytest.raises(RuntimeError):
        failing.catch_up()
    assert {s.position for s in failing.states()} == {0}
    assert all(not _rows(failing, t, "1") for t in TABLES)
    working = Projections(app)
    applied = working.catch_up()
    assert applied == 4 * len(app.recorder.select_notifications(start=1, limit=10_000))
    assert len(_rows(working, "refund_status", "seq")) == 3
    assert all(s.lag == 0 for s in working.states())


class _OvertakenStatus(StatusView):
    """On its first page, another process catches the KPI view up to the head of the log
    (in its own transaction), so this process's compare and set on the KPI view fails."""

    def __init__(self, other: Projections) -> None:
        self.other = other
        self.done = False

    def process(self, db: Db, batch: Sequence[Fact]) -> None:
        super().process(db, batch)
        if not self.done:
            self.done = True
            worker = threading.Thread(target=self.other.catch_up, args=("kpis",))
            worker.start()
            worker.join(timeout=30)
            assert not worker.is_alive()


def test_a_view_overtaken_midway_by_another_process_is_applied_once_with_pages_read_ahead(
    make_app: Callable[..., RefundLedger], postgres_url: str
) -> None:
    app = _demo(make_app, postgres_url)  # PostgreSQL: the next page is read ahead, in a thread
    other = Projections(make_app(postgres_url))
    views = [_OvertakenStatus(other), DecisionTrailView(), PayoutsView(), KpiView()]
    projections = Projections(app, views)
    projections.catch_up(batch=7)
    built = {t: _rows(projections, t, "1, 2") for t in TABLES}
    for name, view in projections.views.items():
        projections.store.reset(name, view.tables)
    Projections(app).catch_up()
    assert {t: _rows(projections, t, "1, 2") for t in TABLES} == built
    assert all(s.lag == 0 for s in projections.states())
