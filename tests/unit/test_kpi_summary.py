"""`kpis.summarise` on hand-made fact rows: rates, nearest-rank p90, decisions, hour buckets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from ledger.projections.kpis import summarise

START = datetime(2026, 10, 1, 9, tzinfo=UTC)


def fact(
    reason: str = "billing_error",
    decided_after: float | None = None,
    decision: str | None = None,
    automatic: int = 0,
    paid_after: float | None = None,
    breaches: int = 0,
) -> dict[str, Any]:
    def at(hours: float | None) -> str | None:
        return None if hours is None else (START + timedelta(hours=hours)).isoformat()

    return {
        "reason": reason, "channel": "portal", "currency": "EUR", "requested_amount": "10.00",
        "approved_amount": "10.00" if decision == "approved" else None,
        "paid_amount": "10.00" if paid_after is not None else None,
        "created_at": START.isoformat(), "decided_at": at(decided_after), "decision": decision,
        "automatic": automatic, "paid_at": at(paid_after), "sla_breaches": breaches,
    }  # fmt: skip


def test_p90_is_the_nearest_rank_and_buckets_count_every_decision() -> None:
    rows = [
        fact(decided_after=0, decision="approved", automatic=1, paid_after=26),
        fact(decided_after=2, decision="approved"),
        fact(decided_after=3, decision="rejected"),
        fact(decided_after=5, decision="approved", paid_after=30),
        fact(decided_after=200, decision="approved", automatic=1),
        fact(reason="goodwill", breaches=2),
    ]
    kpis = summarise(rows)

    # sorted hours to decision: 0, 2, 3, 5, 200 -> the 5th of 5 is the 90th percentile
    assert kpis["hours_to_decision"] == {"median": 3.0, "p90": 200.0}
    assert kpis["hours_to_payout"] == {"median": 28.0, "p90": 30.0}
    assert kpis["decisions"] == {
        "approved_automatically": 2,
        "approved_by_people": 2,
        "rejected": 1,
        "undecided": 1,
    }
    assert kpis["approval_rate"] == 0.8 and kpis["automatic_approval_rate"] == 0.4
    to_decision = {b["label"]: b["count"] for b in kpis["hours_buckets"]["to_decision"]}
    assert to_decision == {
        "under 1h": 1, "1-4h": 2, "4-24h": 1, "24-48h": 0, "48h-7d": 0, "7d or more": 1,
    }  # fmt: skip
    assert [b["count"] for b in kpis["hours_buckets"]["to_payout"]] == [0, 0, 0, 2, 0, 0]
    assert kpis["by_reason"]["goodwill"]["sla_breaches"] == 2
    assert kpis["by_reason"]["billing_error"]["sla_breaches"] == 0
    assert kpis["sla_breaches"] == 2


def test_no_rows_give_no_rates_and_empty_buckets() -> None:
    kpis = summarise([])

    assert kpis["refunds"] == 0
    assert kpis["approval_rate"] is None and kpis["automatic_approval_rate"] is None
    assert kpis["hours_to_decision"] == {"median": None, "p90": None}
    assert kpis["by_reason"] == {} and kpis["by_channel"] == {}
    assert sum(b["count"] for b in kpis["hours_buckets"]["to_decision"]) == 0
    assert set(kpis["decisions"].values()) == {0}
