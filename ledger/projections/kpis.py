"""KPI view: one row of facts per refund (first decision, automatic or not, payout, breaches).

`summarise` turns the rows of a period into the KPIs of docs/product.md §4: counts and amounts
by reason and channel, approval and automatic-approval rates, median and p90 hours to decision
and to payout, SLA breaches; plus the counts of each kind of decision and histogram buckets of
the hours, which the HTML report draws.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from psycopg import sql

from ledger.domain import refund_events as ev
from ledger.projections.base import (
    Fact,
    View,
    create_index,
    create_table,
    rows_by_key,
)
from ledger.store.tracking import Db

TABLE = "kpi_refunds"
COLUMNS: tuple[str, ...] = (
    "refund_id", "seq", "reason", "channel", "currency", "requested_amount", "approved_amount",
    "paid_amount", "created_at", "created_key", "decided_at", "decision", "automatic",
    "paid_at", "sla_breaches",
)  # fmt: skip
INT = {"seq", "automatic", "sla_breaches"}


class KpiView(View):
    name = "kpis"
    tables = (TABLE,)

    def schema(self, postgres: bool) -> list[sql.Composable]:
        columns = [(c, "BIGINT" if c in INT else "TEXT") for c in COLUMNS]
        return [create_table(TABLE, columns, ["refund_id"]), create_index(TABLE, "created_key")]

    def process(self, db: Db, batch: Sequence[Fact]) -> None:
        """Rows of the batch's refunds loaded once and changed in memory; then the new rows
        inserted and the earlier ones updated, one statement each."""
        earlier = rows_by_key(db, TABLE, "refund_id", _changed_ids(batch))
        new: dict[str, dict[str, Any]] = {}
        for fact in batch:
            key, at, event = fact.key, fact.at, fact.event
            if isinstance(event, ev.Requested):
                p = event.payload
                new[key] = dict(refund_id=key, seq=fact.seq, reason=p.reason,
                                channel=p.channel, currency=p.currency,
                                requested_amount=str(p.amount), created_at=at,
                                created_key=fact.at_key, automatic=0,
                                sla_breaches=0)  # fmt: skip
                continue
            row = new.get(key) or earlier.get(key)
            if row is not None:  # no row: a refund the view never saw requested
                _apply(row, event, at)
        db.insert_many(TABLE, COLUMNS, [[r.get(c) for c in COLUMNS] for r in new.values()])
        db.executemany(
            UPDATE, [[row[c] for c in COLUMNS[1:]] + [key] for key, row in earlier.items()]
        )


UPDATE = sql.SQL("UPDATE {} SET {} WHERE refund_id = %s").format(
    sql.Identifier(TABLE),
    sql.SQL(", ").join(sql.SQL("{} = %s").format(sql.Identifier(c)) for c in COLUMNS[1:]),
)
_CHANGES = (ev.Approved, ev.Rejected, ev.DisputeResolved, ev.PayoutSettled, ev.SlaBreached)


def _changed_ids(batch: Sequence[Fact]) -> list[str]:
    """Refunds with an event that moves a KPI and no request in this batch."""
    requested = {f.key for f in batch if isinstance(f.event, ev.Requested)}
    changed = {f.key for f in batch if isinstance(f.event, _CHANGES)}
    return sorted(changed - requested)


def _apply(row: dict[str, Any], event: Any, at: str) -> None:
    match event:
        case ev.Approved(payload=p):
            auto = 1 if p.rule == "auto_approval" else 0
            _decide(row, at, "approved", auto, str(p.amount))
        case ev.Rejected():
            _decide(row, at, "rejected", 0, None)
        case ev.DisputeResolved(payload=p) if p.amount is not None:
            row["approved_amount"] = str(p.amount)
        case ev.PayoutSettled(payload=p):
            row["paid_amount"] = str(Decimal(row.get("paid_amount") or 0) + p.amount)
            row["paid_at"] = at if row.get("paid_at") is None else row["paid_at"]
        case ev.SlaBreached():
            row["sla_breaches"] = (row.get("sla_breaches") or 0) + 1
        case _:
            pass  # nothing else moves a KPI


def _decide(row: dict[str, Any], at: str, decision: str, auto: int, amount: str | None) -> None:
    """The first decision counts for time to decision; a later approval still sets the amount."""
    if row.get("decided_at") is None:
        row.update(automatic=auto, decision=decision, decided_at=at)
    if amount is not None:
        row["approved_amount"] = amount


def summarise(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The KPIs of the given fact rows (amounts as decimal strings per currency)."""
    decided = [r for r in rows if r["decision"]]
    approved = [r for r in decided if r["decision"] == "approved"]
    to_decision = [_hours(r, "decided_at") for r in decided]
    to_payout = [_hours(r, "paid_at") for r in rows if r["paid_at"]]
    automatic = sum(r["automatic"] for r in decided)
    return {
        "refunds": len(rows),
        "by_reason": _groups(rows, "reason"),
        "by_channel": _groups(rows, "channel"),
        "approval_rate": _rate(len(approved), len(decided)),
        "automatic_approval_rate": _rate(automatic, len(decided)),
        "hours_to_decision": _spread(to_decision),
        "hours_to_payout": _spread(to_payout),
        "sla_breaches": sum(r["sla_breaches"] for r in rows),
        "decisions": {
            "approved_automatically": automatic,
            "approved_by_people": len(approved) - automatic,
            "rejected": len(decided) - len(approved),
            "undecided": len(rows) - len(decided),
        },
        "hours_buckets": {"to_decision": _buckets(to_decision), "to_payout": _buckets(to_payout)},
    }


def _groups(rows: Sequence[dict[str, Any]], column: str) -> dict[str, Any]:
    groups: dict[str, dict[str, Any]] = {}
    for row in rows:
        group = groups.setdefault(row[column], {"count": 0, "requested": defaultdict(Decimal),
                                                "approved": defaultdict(Decimal),
                                                "paid": defaultdict(Decimal),
                                                "sla_breaches": 0})  # fmt: skip
        group["count"] += 1
        group["sla_breaches"] += row["sla_breaches"]
        for kind in ("requested", "approved", "paid"):
            if row[f"{kind}_amount"] is not None:
                group[kind][row["currency"]] += Decimal(row[f"{kind}_amount"])
    return {name: {k: _strings(v) for k, v in g.items()} for name, g in sorted(groups.items())}


def _strings(value: Any) -> Any:
    """Counts stay integers; amounts per currency become decimal strings."""
    return value if isinstance(value, int) else {c: str(a) for c, a in value.items()}


def _rate(part: int, whole: int) -> float | None:
    return None if whole == 0 else round(part / whole, 4)


def _hours(row: dict[str, Any], column: str) -> float:
    start, end = datetime.fromisoformat(row["created_at"]), datetime.fromisoformat(row[column])
    return (end - start).total_seconds() / 3600


def _spread(hours: list[float]) -> dict[str, float | None]:
    if not hours:
        return {"median": None, "p90": None}
    ordered = sorted(hours)
    p90 = ordered[math.ceil(0.9 * len(ordered)) - 1]  # nearest rank
    return {"median": round(statistics.median(ordered), 2), "p90": round(p90, 2)}


#: Upper bounds (hours, exclusive) of the histogram buckets; the last bucket is open-ended.
BUCKETS: tuple[tuple[str, float], ...] = (
    ("under 1h", 1), ("1-4h", 4), ("4-24h", 24), ("24-48h", 48), ("48h-7d", 168),
    ("7d or more", math.inf),
)  # fmt: skip


def _buckets(hours: list[float]) -> list[dict[str, Any]]:
    """How many of `hours` fall in each bucket of BUCKETS, in order (empty ones too)."""
    counts = [0] * len(BUCKETS)
    for value in hours:
        counts[next(i for i, (_, upper) in enumerate(BUCKETS) if value < upper)] += 1
    return [{"label": label, "count": n} for (label, _), n in zip(BUCKETS, counts, strict=True)]
