"""`ledger demo` walks every path of the refund lifecycle (docs/product.md §2.1) on a real store."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg
import pytest

from ledger.app.service import Clock, RefundLedger, utc_now
from ledger.bootstrap import bootstrap
from ledger.config import Settings
from ledger.demo import DemoSummary, run_demo
from ledger.domain.actor import Actor
from ledger.domain.vocabulary import STATUSES

Run = tuple[DemoSummary, list[str], RefundLedger]


def _run(url: str, stack: ExitStack) -> Run:
    """Run the demo on `url`, then open a fresh application there to read what it wrote."""

    def make_app(clock: Clock) -> RefundLedger:
        app = bootstrap(Settings(database_url=url), clock=clock).ledger
        stack.callback(app.close)
        return app

    lines: list[str] = []
    summary = run_demo(make_app, lines.append)
    return summary, lines, make_app(utc_now)


def _fresh_database(request: pytest.FixtureRequest, tmp: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp / 'ledger.db'}"
    server: Any = request.getfixturevalue("postgres_server")
    name = f"demo_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server.get_uri(), autocommit=True) as conn:
        conn.execute(psycopg.sql.SQL("CREATE DATABASE {}").format(psycopg.sql.Identifier(name)))
    return str(server.get_uri(name))


@pytest.fixture(
    scope="module",
    params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
)
def demo(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    """One demo run per back end, shared by the tests of this module (they only read)."""
    url = _fresh_database(request, tmp_path_factory.mktemp("demo"))
    with ExitStack() as stack:
        yield _run(url, stack)


def _events(app: RefundLedger, summary: DemoSummary, path: str) -> list[Any]:
    return app.history(UUID(summary.paths[path]))


def _refund(app: RefundLedger, summary: DemoSummary, path: str) -> Any:
    return app.get(UUID(summary.paths[path]))


def _types(events: list[Any]) -> list[str]:
    return [type(event).__name__ for event in events]


def _last(events: list[Any], kind: str) -> Any:
    return [event for event in events if type(event).__name__ == kind][-1].payload


def test_demo_leaves_refunds_in_every_status(demo: Any) -> None:
    summary, _, _ = demo
    assert set(summary.statuses) == set(STATUSES)
    assert sum(summary.statuses.values()) == summary.refunds >= 35
    assert len(summary.customers) >= 12 and len(summary.orders) >= 35


def test_demo_approves_small_refunds_automatically_and_verifies_goods(demo: Any) -> None:
    summary, _, app = demo
    approved = _last(_events(app, summary, "auto_approved"), "Approved")
    assert (approved.actor, approved.rule) == ("system:policy", "auto_approval")
    goods = _events(app, summary, "goods_verified")
    assert _types(goods)[:4] == ["Requested", "Verified", "RoutedForApproval", "Approved"]
    assert goods[1].payload.actor.startswith("verifier:")
    assert goods[3].payload.actor.startswith("manager:")


def test_demo_fails_a_verification_and_rejects_by_hand(demo: Any) -> None:
    summary, _, app = demo
    by_policy = _last(_events(app, summary, "verification_failed"), "Rejected")
    assert (by_policy.actor, by_policy.rule) == ("system:policy", "verification.return_window")
    by_hand = _last(_events(app, summary, "manual_rejection"), "Rejected")
    assert by_hand.rule == "rejection.manual"


@pytest.mark.parametrize("path", ["dual_control", "two_finance"])
def test_demo_needs_two_different_approvers_above_the_threshold(demo: Any, path: str) -> None:
    summary, _, app = demo
    events = _events(app, summary, path)
    assert "ApprovalRecorded" in _types(events)
    approvers = _last(events, "Approved").approvers
    assert len({Actor.parse(a).person for a in approvers}) == 2
    assert {Actor.parse(a).role for a in approvers} == {"finance"}


def test_demo_raises_fraud_flags_and_never_auto_approves_them(demo: Any) -> None:
    summary, _, app = demo
    for path, rule in (
        ("fraud_repeat", "fraud.refunds_per_customer"),
        ("fraud_shared_address", "fraud.shared_address"),
    ):
        events = _events(app, summary, path)
        assert _last(events, "Flagged").rule == rule
        assert _last(events, "RoutedForApproval").rule == "auto_approval.flagged"


def test_demo_resolves_disputes_both_ways(demo: Any) -> None:
    summary, _, app = demo
    rejected_first = _events(app, summary, "dispute_overturned_rejected")
    assert _last(rejected_first, "DisputeResolved").outcome == "overturned"
    assert _refund(app, summary, "dispute_overturned_rejected").status == "paid"
    paid_first = _events(app, summary, "dispute_overturned_paid")
    settled = [e.payload.amount for e in paid_first if type(e).__name__ == "PayoutSettled"]
    assert settled == [Decimal("200.00"), Decimal("100.00")]
    upheld = _events(app, summary, "dispute_upheld")
    assert _last(upheld, "DisputeResolved").outcome == "upheld"
    assert _refund(app, summary, "dispute_open").status == "disputed"


def test_demo_retries_a_failed_payout(demo: Any) -> None:
    summary, _, app = demo
    kinds = _types(_events(app, summary, "payout_retried"))
    failed = kinds.index("PayoutFailed")
    assert "PayoutStarted" in kinds[failed:] and kinds[-1] == "PayoutSettled"


def test_demo_escalates_by_sla_and_by_hand(demo: Any) -> None:
    summary, _, app = demo
    swept = _last(_events(app, summary, "sla_escalated"), "Escalated")
    assert (swept.rule, swept.to_tier) == ("sla.pending_approval_hours", "finance")
    assert "SlaBreached" in _types(_events(app, summary, "sla_breached"))
    by_hand = _last(_events(app, summary, "manual_escalation"), "Escalated")
    assert by_hand.rule == "escalation.manual"


def test_demo_cancels_takes_the_restocking_fee_and_issues_a_credit_note(demo: Any) -> None:
    summary, _, app = demo
    assert "Cancelled" in _types(_events(app, summary, "cancelled"))
    assert _refund(app, summary, "restocking_fee").approved_amount == Decimal("102.00")
    goodwill = _refund(app, summary, "goodwill_credit_note")
    assert (goodwill.request.amount, goodwill.request.method) == (Decimal("38.00"), "credit_note")
    notes = [p for p in summary.paths if "NoteAdded" in _types(_events(app, summary, p))]
    assert notes


def test_demo_spreads_its_events_over_the_past_month(demo: Any) -> None:
    summary, _, app = demo
    now = datetime.now(UTC)
    stamps = [[e.timestamp for e in app.history(r)] for r in map(UUID, summary.refund_ids)]
    assert all(times == sorted(times) for times in stamps)
    flat = [t for times in stamps for t in times]
    assert now - timedelta(days=31) <= min(flat) <= now - timedelta(days=25)
    assert max(flat) <= now


def test_demo_tour_names_ids_of_this_run(demo: Any) -> None:
    summary, lines, _ = demo
    commands = [line.strip() for line in lines if line.strip().startswith("ledger ")]
    assert 8 <= len(commands) <= 13
    ids = re.findall(r"[0-9a-f]{8}-[0-9a-f-]{27}", "\n".join(commands))
    assert ids and set(ids) <= set(summary.refund_ids)


def test_demo_can_run_twice_on_one_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    with ExitStack() as stack:
        first, _, _ = _run(url, stack)
        second, _, app = _run(url, stack)
        assert first.tag != second.tag
        assert not set(first.orders) & set(second.orders)
        assert len(list(app.refund_ids())) == first.refunds + second.refunds
