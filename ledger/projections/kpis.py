"""KPI view: one row of facts per refund (first decision, automatic or not, payout, breaches).

`summarise` turns the rows of a period into the KPIs of SPEC 4: counts and amounts by reason
and channel, approval and automatic-approval rates, median and p90 hours to decision and to
payout, SLA breaches; plus the counts of each kind of decision and histogram buckets of the
hours, which the HTML report draws.
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
from ledger.projections.base import View, create_index, create_table, insert, time_key
from ledger.projections.store import Db

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

    def process(self, db: Db, batch: Sequence[tuple[int, Any]]) -> None:
        for notification_id, event in batch:
            key, at = str(getattr(event, "originator_id", "")), _iso(event)
            match event:
                case ev.Requested(payload=p):
                    row = dict(refund_id=key, seq=notification_id, reason=p.reason,
                               channel=p.channel, currency=p.currency,
                               requested_amount=str(p.amount), created_at=at,
                               created_key=time_key(event.timestamp), automatic=0,
                               sla_breaches=0)  # fmt: skip
                    db.execute(insert(TABLE, COLUMNS), [row.get(c) for c in COLUMNS])
                case ev.Approved(payload=p):
                    auto = 1 if p.rule == "auto_approval" else 0
                    _decide(db, key, at, "approved", auto, str(p.amount))
                case ev.Rejected():
                    _decide(db, key, at, "rejected", 0, None)
                case ev.DisputeResolved(payload=p) if p.amount is not None:
                    _set(db, key, "approved_amount = %s", str(p.amount))
                case ev.PayoutSettled(payload=p):
                    _settle(db, key, at, p.amount)
                case ev.SlaBreached():
                    _set(db, key, "sla_breaches = sla_breaches + %s", 1)
                case _:
                    pass  # nothing else moves a KPI


def _iso(event: Any) -> str:
    moment = getattr(event, "timestamp", None)
    return moment.isoformat() if isinstance(moment, datetime) else ""


def _set(db: Db, key: str, assignment: str, value: Any) -> None:
    db.execute(
        sql.SQL("UPDATE {} SET {} WHERE refund_id = %s").format(
            sql.Identifier(TABLE),
            sql.SQL(assignment),  # assignments are constants of this module
        ),
        (value, key),
    )


def _decide(db: Db, key: str, at: str, decision: str, auto: int, amount: str | None) -> None:
    """The first decision counts for time to decision; a later approval still sets the amount."""
    db.execute(
        sql.SQL(
            "UPDATE {} SET automatic = CASE WHEN decided_at IS NULL THEN %s ELSE automatic END, "
            "decision = CASE WHEN decided_at IS NULL THEN %s ELSE decision END, "
            "decided_at = COALESCE(decided_at, %s), "
            "approved_amount = COALESCE(%s, approved_amount) WHERE refund_id = %s"
        ).format(sql.Identifier(TABLE)),
        (auto, decision, at, amount, key),
    )


def _settle(db: Db, key: str, at: str, amount: Decimal) -> None:
    found = db.rows(
        sql.SQL("SELECT paid_amount FROM {} WHERE refund_id = %s").format(sql.Identifier(TABLE)),
        (key,),
    )
    if found:
        paid = Decimal(found[0]["paid_amount"] or 0) + amount
        db.execute(
            sql.SQL(
                "UPDATE {} SET paid_amount = %s, paid_at = COALESCE(paid_at, %s) "
                "WHERE refund_id = %s"
            ).format(sql.Identifier(TABLE)),
            (str(paid), at, key),
        )


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
