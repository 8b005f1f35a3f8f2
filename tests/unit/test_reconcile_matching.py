"""Matching settlement rows to ledger payouts by reference: every category, totals, the period."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from ledger.app.period import Period
from ledger.reconcile.matching import CATEGORIES, LedgerPayout, match
from ledger.reconcile.report import discrepancies, reconcile
from ledger.reconcile.settlements import Malformed, SettlementFile, SettlementRow

NOV_1 = datetime(2026, 11, 1, 10, tzinfo=UTC)
NOV_20 = datetime(2026, 11, 20, 10, tzinfo=UTC)


def row(reference: str, amount: str = "30.00", currency: str = "EUR", status: str = "settled",
        line: int = 2) -> SettlementRow:  # fmt: skip
    return SettlementRow(line, reference, Decimal(amount), currency, status, NOV_1)


def payout(reference: str, amount: str = "30.00", currency: str = "EUR", status: str = "settled",
           refund: str = "refund-1", at: datetime = NOV_1) -> LedgerPayout:  # fmt: skip
    return LedgerPayout(refund, 1, reference, Decimal(amount), currency, status, at)


def categories(rows: list[SettlementRow], payouts: list[LedgerPayout]) -> list[str]:
    return [item.category for item in match(SettlementFile(tuple(rows), ()), payouts, Period())]


@pytest.mark.parametrize(
    ("provider", "ledger", "category"),
    [
        (row("R"), payout("R"), "matched"),
        (row("R", amount="30"), payout("R", amount="30.00"), "matched"),
        (row("R", amount="31.00"), payout("R"), "amount_mismatch"),
        (row("R", currency="USD"), payout("R"), "currency_mismatch"),
        (row("R", amount="9.00", currency="USD"), payout("R"), "currency_mismatch"),
        (row("R"), payout("OTHER"), "missing_in_ledger"),
        (row("R", status="failed"), payout("OTHER"), "missing_in_ledger"),
        (row("R"), payout("R", status="failed"), "failed_in_ledger"),
        (row("R", status="failed"), payout("R"), "failed_at_provider"),
        (row("R", status="failed"), payout("R", status="failed"), "failed_in_both"),
    ],
)
def test_a_settlement_row_lands_in_exactly_one_category(
    provider: SettlementRow, ledger: LedgerPayout, category: str
) -> None:
    found = categories([provider], [ledger])

    assert found[0] == category
    expected_rest = ["missing_at_provider"] if ledger.reference == "OTHER" else []
    assert found[1:] == expected_rest


def test_a_settled_attempt_wins_over_an_earlier_failed_one_with_the_same_reference() -> None:
    failed = payout("R", status="failed", refund="refund-1")
    settled = payout("R", refund="refund-1")

    (item,) = match(SettlementFile((row("R"),), ()), [failed, settled], Period())

    assert (item.category, item.ledger) == ("matched", settled)


def test_a_reference_on_several_settled_payouts_is_a_duplicate_in_the_ledger() -> None:
    first, second = payout("R", refund="refund-1"), payout("R", refund="refund-2")

    items = match(SettlementFile((row("R"),), ()), [first, second], Period())

    assert [(i.category, i.ledger) for i in items] == [
        ("duplicate_in_ledger", first),
        ("duplicate_in_ledger", second),
    ]


def test_settled_payouts_absent_from_the_file_are_missing_at_the_provider() -> None:
    payouts = [
        payout("IN-FILE"),
        payout("GONE", refund="refund-2"),
        payout("FAILED", status="failed", refund="refund-3"),
        payout("ON-A-BAD-ROW", refund="refund-4"),
    ]
    file = SettlementFile((row("IN-FILE"),), (Malformed(3, "bad amount", "ON-A-BAD-ROW"),))

    items = match(file, payouts, Period())

    assert [(i.category, i.ledger and i.ledger.reference) for i in items] == [
        ("matched", "IN-FILE"),
        ("missing_at_provider", "GONE"),
    ]


@pytest.mark.parametrize(
    ("period", "missing"),
    [
        (Period(), ["EARLY", "LATE"]),
        (Period(since=datetime(2026, 11, 10, tzinfo=UTC)), ["LATE"]),
        (Period(until=datetime(2026, 11, 10, tzinfo=UTC)), ["EARLY"]),
        (Period(since=NOV_1, until=NOV_20), ["EARLY", "LATE"]),
        (
            Period(
                since=datetime(2026, 11, 2, tzinfo=UTC), until=datetime(2026, 11, 3, tzinfo=UTC)
            ),
            [],
        ),
    ],
)
def test_the_period_limits_only_what_counts_as_missing_at_the_provider(
    period: Period, missing: list[str]
) -> None:
    payouts = [payout("EARLY", at=NOV_1), payout("LATE", at=NOV_20), payout("R", at=NOV_20)]
    file = SettlementFile((row("R"),), ())

    items = match(file, payouts, period)

    assert items[0].category == "matched"  # a match outside the period still matches
    assert [i.ledger.reference for i in items[1:] if i.ledger] == missing
    assert {i.category for i in items[1:]} <= {"missing_at_provider"}


def test_the_report_counts_and_totals_every_category_per_currency() -> None:
    rows = (
        row("OK-1", "10.00", line=2),
        row("OK-2", "1500", "JPY", line=3),
        row("MORE", "31.00", line=4),
        row("NEW", "7.00", "USD", line=5),
        row("NOPE", "8.00", status="failed", line=6),
    )
    payouts = [
        payout("OK-1", "10.00"),
        payout("OK-2", "1500", "JPY"),
        payout("MORE", "30.00"),
        payout("NOPE", "8.00"),
        payout("GONE", "4.50"),
    ]
    file = SettlementFile(rows, (Malformed(7, "unknown status 'pending'", "OK-1"),))

    report = reconcile(file, payouts, Period())

    summary = report["summary"]
    assert summary["rows"] == 6
    assert {k: v for k, v in summary["counts"].items() if v} == {
        "matched": 2,
        "amount_mismatch": 1,
        "missing_in_ledger": 1,
        "failed_at_provider": 1,
        "missing_at_provider": 1,
        "malformed": 1,
    }
    assert summary["totals"]["matched"] == {"EUR": "10.00", "JPY": "1500"}
    assert summary["totals"]["amount_mismatch"] == {"EUR": "31.00"}  # the provider's amount
    assert summary["totals"]["missing_at_provider"] == {"EUR": "4.50"}  # the ledger's amount
    assert summary["provider_settled"] == {"EUR": "41.00", "JPY": "1500", "USD": "7.00"}
    assert summary["ledger_settled"] == {"EUR": "52.50", "JPY": "1500"}
    assert summary["discrepancies"] == discrepancies(report) == 5
    assert set(report) == {"summary", *CATEGORIES, "malformed"}
    assert report["malformed"] == [
        {
            "line": 7,
            "reference": "OK-1",
            "refund_id": "refund-1",
            "reason": "unknown status 'pending'",
        }
    ]
    (mismatch,) = report["amount_mismatch"]
    assert mismatch == {
        "reference": "MORE",
        "line": 4,
        "refund_id": "refund-1",
        "attempt": 1,
        "ledger_amount": "30.00",
        "ledger_currency": "EUR",
        "ledger_status": "settled",
        "ledger_finished_at": NOV_1.isoformat(),
        "provider_amount": "31.00",
        "provider_currency": "EUR",
        "provider_status": "settled",
        "provider_settled_at": NOV_1.isoformat(),
    }


def test_agreements_alone_are_no_discrepancy() -> None:
    file = SettlementFile((row("A"), row("B", status="failed", line=3)), ())
    payouts = [payout("A"), payout("B", status="failed")]

    report = reconcile(file, payouts, Period())

    assert report["summary"]["discrepancies"] == 0
    assert [len(report[c]) for c in ("matched", "failed_in_both")] == [1, 1]


def test_a_ledger_payout_row_from_the_view_is_typed() -> None:
    view_row = {
        "refund_id": "r", "attempt": 2, "reference": "R", "amount": "12.50", "currency": "EUR",
        "status": "settled", "finished_at": "2026-11-01T10:00:00+00:00", "method": "x",
    }  # fmt: skip

    assert LedgerPayout.from_row(view_row) == LedgerPayout(
        "r", 2, "R", Decimal("12.50"), "EUR", "settled", NOV_1
    )
