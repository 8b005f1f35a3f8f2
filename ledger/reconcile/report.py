"""The reconciliation report: a summary, the findings by category, and the malformed rows."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from ledger.app.period import Period
from ledger.reconcile.matching import AGREEMENTS, CATEGORIES, Item, LedgerPayout, match
from ledger.reconcile.settlements import SettlementFile


def reconcile(
    file: SettlementFile, payouts: Sequence[LedgerPayout], period: Period
) -> dict[str, Any]:
    """The report as one JSON-ready object: `summary`, one list per category, `malformed`."""
    items = match(file, payouts, period)
    report: dict[str, Any] = {"summary": _summary(file, items, payouts, period)}
    for category in CATEGORIES:
        report[category] = [item.out() for item in items if item.category == category]
    refund_of = {payout.reference: payout.refund_id for payout in payouts}
    report["malformed"] = [
        {
            "line": bad.line,
            "reference": bad.reference,
            "refund_id": refund_of.get(bad.reference) if bad.reference else None,
            "reason": bad.reason,
        }
        for bad in file.malformed
    ]
    return report


def discrepancies(report: dict[str, Any]) -> int:
    """Findings that need a person: every category but the agreements, and malformed rows."""
    counts: dict[str, int] = report["summary"]["counts"]
    return sum(n for category, n in counts.items() if category not in AGREEMENTS)


def _summary(
    file: SettlementFile, items: list[Item], payouts: Sequence[LedgerPayout], period: Period
) -> dict[str, Any]:
    counts = {category: 0 for category in CATEGORIES}
    totals: dict[str, dict[str, Decimal]] = {category: {} for category in CATEGORIES}
    for item in items:
        counts[item.category] += 1
        _add(totals[item.category], *item.money)
    counts["malformed"] = len(file.malformed)
    summary = {
        "rows": len(file.rows) + len(file.malformed),
        "since": None if period.since is None else period.since.isoformat(),
        "until": None if period.until is None else period.until.isoformat(),
        "counts": counts,
        "totals": {category: _text(money) for category, money in totals.items()},
        "provider_settled": _sum(
            (r.amount, r.currency) for r in file.rows if r.status == "settled"
        ),
        "ledger_settled": _sum(
            (p.amount, p.currency)
            for p in payouts
            if p.status == "settled" and period.holds(p.finished_at)
        ),
    }
    summary["discrepancies"] = discrepancies({"summary": summary})
    return summary


def _add(totals: dict[str, Decimal], amount: Decimal, currency: str) -> None:
    totals[currency] = totals.get(currency, Decimal(0)) + amount


def _sum(amounts: Iterable[tuple[Decimal, str]]) -> dict[str, str]:
    totals: dict[str, Decimal] = {}
    for amount, currency in amounts:
        _add(totals, amount, currency)
    return _text(totals)


def _text(totals: dict[str, Decimal]) -> dict[str, str]:
    return {currency: str(totals[currency]) for currency in sorted(totals)}
