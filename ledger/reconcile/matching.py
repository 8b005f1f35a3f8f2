"""Match a settlement file's rows against the ledger's payouts by the provider's reference.

Only payouts that carry a reference take part: a payout gets one when it is settled (and,
optionally, when it fails); a pending payout has none yet, so a provider row for it is
`missing_in_ledger` until finance records the settlement.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from ledger.app.period import Period
from ledger.reconcile.settlements import Malformed, SettlementFile, SettlementRow

#: Every category, in report order. A row or payout lands in exactly one.
CATEGORIES = (
    "matched",  # both settled, same amount and currency
    "amount_mismatch",  # both settled, same currency, different amount
    "currency_mismatch",  # both settled, different currency
    "missing_in_ledger",  # the file's reference is on no ledger payout
    "failed_in_ledger",  # the provider settled it, the ledger recorded it as failed
    "failed_at_provider",  # the provider failed it, the ledger recorded it as settled
    "failed_in_both",  # both say it failed
    "duplicate_in_ledger",  # several ledger payouts carry the file's reference
    "missing_at_provider",  # settled in the ledger (within the period), absent from the file
)
AGREEMENTS = ("matched", "failed_in_both")
SIDE_OF_LEDGER = ("duplicate_in_ledger", "missing_at_provider")  # totals use ledger amounts


@dataclass(frozen=True)
class LedgerPayout:
    """One payout attempt of the payouts view that carries a provider reference."""

    refund_id: str
    attempt: int
    reference: str
    amount: Decimal
    currency: str
    status: str
    finished_at: datetime | None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> LedgerPayout:
        finished = row.get("finished_at")
        return cls(
            refund_id=str(row["refund_id"]),
            attempt=int(row["attempt"]),
            reference=str(row["reference"]),
            amount=Decimal(str(row["amount"])),
            currency=str(row["currency"]),
            status=str(row["status"]),
            finished_at=datetime.fromisoformat(finished) if finished else None,
        )


@dataclass(frozen=True)
class Item:
    """One finding: a file row, a ledger payout, or both."""

    category: str
    provider: SettlementRow | None
    ledger: LedgerPayout | None

    @property
    def money(self) -> tuple[Decimal, str]:
        """The amount this finding adds to its category's totals."""
        side = self.ledger if self.category in SIDE_OF_LEDGER else self.provider
        chosen = side or self.provider or self.ledger
        if chosen is None:
            raise ValueError("a finding needs a file row or a ledger payout")
        return chosen.amount, chosen.currency

    def out(self) -> dict[str, Any]:
        row, payout = self.provider, self.ledger
        reference = row.reference if row else payout.reference if payout else None
        return {
            "reference": reference,
            "line": row.line if row else None,
            "refund_id": payout.refund_id if payout else None,
            "attempt": payout.attempt if payout else None,
            "ledger_amount": str(payout.amount) if payout else None,
            "ledger_currency": payout.currency if payout else None,
            "ledger_status": payout.status if payout else None,
            "ledger_finished_at": _time(payout.finished_at) if payout else None,
            "provider_amount": str(row.amount) if row else None,
            "provider_currency": row.currency if row else None,
            "provider_status": row.status if row else None,
            "provider_settled_at": _time(row.settled_at) if row else None,
        }


class Matcher:
    """The ledger's side, held in memory (its size is the ledger's), matched one row at a time.

    Only the references of the ledger's payouts that the file named are remembered, so the
    file's side never accumulates here.
    """

    def __init__(self, payouts: Iterable[LedgerPayout], period: Period) -> None:
        self.payouts = list(payouts)
        self.period = period
        self.by_reference: dict[str, list[LedgerPayout]] = {}
        for payout in self.payouts:
            self.by_reference.setdefault(payout.reference, []).append(payout)
        self.refund_of = {payout.reference: payout.refund_id for payout in self.payouts}
        self._index = {payout: index for index, payout in enumerate(self.payouts)}
        self._named: set[str] = set()

    def index(self, payout: LedgerPayout | None) -> int | None:
        """Where `payout` is among the ledger's: what a scratch store keeps of it."""
        return None if payout is None else self._index[payout]

    def payout(self, index: int | None) -> LedgerPayout | None:
        return None if index is None else self.payouts[index]

    def findings(self, row: SettlementRow) -> list[Item]:
        """The findings of one well-formed row of the file."""
        found = self.by_reference.get(row.reference, [])
        if found:
            self._named.add(row.reference)
        return _findings(row, found)

    def malformed(self, bad: Malformed) -> None:
        """A malformed row that names a payout's reference: that payout is not missing."""
        if bad.reference is not None and bad.reference in self.by_reference:
            self._named.add(bad.reference)

    def missing_at_provider(self) -> Iterator[Item]:
        """Once the whole file is read: payouts settled (within the period) it did not name."""
        for payout in self.payouts:
            if (
                payout.status == "settled"
                and payout.reference not in self._named
                and self.period.holds(payout.finished_at)
            ):
                yield Item("missing_at_provider", None, payout)

    def ledger_settled(self) -> Iterator[tuple[Decimal, str]]:
        """The amounts the ledger settled within the period."""
        for payout in self.payouts:
            if payout.status == "settled" and self.period.holds(payout.finished_at):
                yield payout.amount, payout.currency


def match(file: SettlementFile, payouts: Iterable[LedgerPayout], period: Period) -> list[Item]:
    """Every finding: file rows in file order, then payouts missing at the provider."""
    matcher = Matcher(payouts, period)
    for bad in file.malformed:
        matcher.malformed(bad)
    items = [item for row in file.rows for item in matcher.findings(row)]
    items.extend(matcher.missing_at_provider())
    return items


def _findings(row: SettlementRow, found: Sequence[LedgerPayout]) -> list[Item]:
    settled = [payout for payout in found if payout.status == "settled"]
    candidates = settled or list(found)
    if not candidates:
        return [Item("missing_in_ledger", row, None)]
    if len(candidates) > 1:
        return [Item("duplicate_in_ledger", row, payout) for payout in candidates]
    return [Item(_compare(row, candidates[0]), row, candidates[0])]


def _compare(row: SettlementRow, payout: LedgerPayout) -> str:
    if row.status == "failed":
        return "failed_at_provider" if payout.status == "settled" else "failed_in_both"
    if payout.status != "settled":
        return "failed_in_ledger"
    if payout.currency != row.currency:
        return "currency_mismatch"
    return "matched" if payout.amount == row.amount else "amount_mismatch"


def _time(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()
