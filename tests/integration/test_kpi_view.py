"""KPI view: facts per refund summarised into the KPIs, equal to what the histories say."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from psycopg import sql

from ledger.app.service import RefundLedger
from ledger.demo import run_demo
from ledger.projections.kpis import KpiView, summarise
from ledger.projections.runner import Projections


def test_kpis_from_the_view_match_the_event_histories(
    make_app: Callable[..., RefundLedger], database_url: str
) -> None:
    run_demo(lambda clock: make_app(database_url, clock=clock), lambda line: None)
    app = make_app(database_url)
    projections = Projections(app, [KpiView()])
    projections.catch_up()
    with projections.store.reading() as db:
        rows = db.rows(sql.SQL("SELECT * FROM kpi_refunds ORDER BY seq"))
    kpis = summarise(rows)

    reasons: Counter[str] = Counter()
    decisions: list[tuple[str, bool, float]] = []
    breaches = 0
    for refund_id in app.refund_ids():
        history = app.history(refund_id)
        reasons[history[0].payload.reason] += 1
        first = next((e for e in history if type(e).__name__ in ("Approved", "Rejected")), None)
        if first is not None:
            hours = (first.timestamp - history[0].timestamp).total_seconds() / 3600
            auto = getattr(first.payload, "rule", "") == "auto_approval"
            decisions.append((type(first).__name__, auto, hours))
        breaches += sum(type(e).__name__ == "SlaBreached" for e in history)

    assert kpis["refunds"] == sum(reasons.values())
    assert {r: g["count"] for r, g in kpis["by_reason"].items()} == dict(reasons)
    approved = sum(d[0] == "Approved" for d in decisions)
    assert kpis["approval_rate"] == round(approved / len(decisions), 4)
    assert kpis["automatic_approval_rate"] == round(
        sum(d[1] for d in decisions) / len(decisions), 4
    )
    assert kpis["sla_breaches"] == breaches
    hours = sorted(d[2] for d in decisions)
    assert hours[0] <= kpis["hours_to_decision"]["median"] <= kpis["hours_to_decision"]["p90"]
    assert kpis["hours_to_payout"]["median"] is not None
    assert sum(kpis["decisions"].values()) == kpis["refunds"]
    assert kpis["decisions"]["undecided"] == kpis["refunds"] - len(decisions)
    assert sum(b["count"] for b in kpis["hours_buckets"]["to_decision"]) == len(decisions)
    assert sum(g["sla_breaches"] for g in kpis["by_reason"].values()) == breaches
