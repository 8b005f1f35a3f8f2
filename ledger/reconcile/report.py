"""The reconciliation report: a summary, the findings by category, and the malformed rows.

`tally` runs the file's entries through the matcher one at a time: the summary's counters are
kept here (their size is the number of categories and currencies), each finding is handed to
a `Kept` store (a list in memory for a small file, a scratch database for a big one), and the
report is read back from there, section by section (`sections`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from typing import Any, Protocol

from ledger.app.period import Period
from ledger.reconcile.matching import AGREEMENTS, CATEGORIES, Item, LedgerPayout, Matcher
from ledger.reconcile.settlements import Entry, Malformed, SettlementFile

#: The report's lists, in output order: one per category, then the malformed rows.
SECTIONS = (*CATEGORIES, "malformed")


class Kept(Protocol):
    """Where the findings wait while the file is read, by section and in order: each as the
    file's entry (None for a payout missing at the provider) and the index of the ledger's
    payout among the matcher's (None when no payout takes part)."""

    def add(self, section: str, entry: Entry | None, payout: int | None) -> None: ...

    def found(self, section: str) -> Iterator[tuple[Entry | None, int | None]]: ...


class KeptInMemory:
    def __init__(self) -> None:
        self._found: dict[str, list[tuple[Entry | None, int | None]]] = {
            section: [] for section in SECTIONS
        }

    def add(self, section: str, entry: Entry | None, payout: int | None) -> None:
        self._found[section].append((entry, payout))

    def found(self, section: str) -> Iterator[tuple[Entry | None, int | None]]:
        return iter(self._found[section])


def reconcile(
    file: SettlementFile, payouts: Sequence[LedgerPayout], period: Period
) -> dict[str, Any]:
    """The report as one JSON-ready object: `summary`, one list per category, `malformed`."""
    kept, matcher = KeptInMemory(), Matcher(payouts, period)
    summary = tally((*file.rows, *file.malformed), matcher, kept)
    parts = sections(summary, kept, matcher)
    return {key: value if key == "summary" else list(value) for key, value in parts}


def tally(entries: Iterable[Entry], matcher: Matcher, kept: Kept) -> dict[str, Any]:
    """Match every entry, hand each finding to `kept`; the summary."""
    counts = _Counts(matcher.period)
    for entry in entries:
        if isinstance(entry, Malformed):
            matcher.malformed(entry)
            counts.malformed += 1
            kept.add("malformed", entry, None)
            continue
        counts.rows += 1
        if entry.status == "settled":
            _add(counts.provider_settled, entry.amount, entry.currency)
        for item in matcher.findings(entry):
            counts.finding(item)
            kept.add(item.category, entry, matcher.index(item.ledger))
    for item in matcher.missing_at_provider():
        counts.finding(item)
        kept.add(item.category, None, matcher.index(item.ledger))
    return counts.summary(matcher.ledger_settled())


def sections(summary: dict[str, Any], kept: Kept, matcher: Matcher) -> Iterator[tuple[str, Any]]:
    """The report's keys in order: ("summary", summary), then (section, its items)."""
    yield "summary", summary
    for section in SECTIONS:
        yield section, items(section, kept, matcher)


def items(section: str, kept: Kept, matcher: Matcher) -> Iterator[dict[str, Any]]:
    """The JSON-ready items of one section of the report, in order."""
    for entry, payout in kept.found(section):
        if isinstance(entry, Malformed):
            yield _malformed(entry, matcher.refund_of)
        else:
            yield Item(section, entry, matcher.payout(payout)).out()


def discrepancies(report: dict[str, Any]) -> int:
    """Findings that need a person: every category but the agreements, and malformed rows."""
    counts: dict[str, int] = report["summary"]["counts"]
    return sum(n for category, n in counts.items() if category not in AGREEMENTS)


class _Counts:
    def __init__(self, period: Period) -> None:
        self.period = period
        self.rows = self.malformed = 0
        self.counts = {category: 0 for category in CATEGORIES}
        self.totals: dict[str, dict[str, Decimal]] = {category: {} for category in CATEGORIES}
        self.provider_settled: dict[str, Decimal] = {}

    def finding(self, item: Item) -> None:
        self.counts[item.category] += 1
        _add(self.totals[item.category], *item.money)

    def summary(self, ledger_settled: Iterable[tuple[Decimal, str]]) -> dict[str, Any]:
        period = self.period
        summary = {
            "rows": self.rows + self.malformed,
            "since": None if period.since is None else period.since.isoformat(),
            "until": None if period.until is None else period.until.isoformat(),
            "counts": {**self.counts, "malformed": self.malformed},
            "totals": {category: _text(money) for category, money in self.totals.items()},
            "provider_settled": _text(self.provider_settled),
            "ledger_settled": _sum(ledger_settled),
        }
        summary["discrepancies"] = discrepancies({"summary": summary})
        return summary


def _malformed(bad: Malformed, refund_of: dict[str, str]) -> dict[str, Any]:
    return {
        "line": bad.line,
        "reference": bad.reference,
        "refund_id": refund_of.get(bad.reference) if bad.reference else None,
        "reason": bad.reason,
    }


def _add(totals: dict[str, Decimal], amount: Decimal, currency: str) -> None:
    totals[currency] = totals.get(currency, Decimal(0)) + amount


def _sum(amounts: Iterable[tuple[Decimal, str]]) -> dict[str, str]:
    totals: dict[str, Decimal] = {}
    for amount, currency in amounts:
        _add(totals, amount, currency)
    return _text(totals)


def _text(totals: dict[str, Decimal]) -> dict[str, str]:
    return {currency: str(totals[currency]) for currency in sorted(totals)}
