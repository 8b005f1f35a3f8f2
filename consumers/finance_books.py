"""Read the finance consumer's journal: its entries with their lines, and a trial balance."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from psycopg import sql

from consumers.finance import FinanceHandler
from consumers.inbox import inbox_schema
from ledger.store.tracking import PostgresViews, ViewStore


def with_books(store: ViewStore) -> ViewStore:
    """`store` with the journal's tables, created if the consumer never ran."""
    handler = FinanceHandler()
    schema = inbox_schema() + handler.schema(isinstance(store, PostgresViews))
    store.ensure(f"consumer.{handler.name}", schema)
    return store


def journal(store: ViewStore) -> list[dict[str, Any]]:
    """Every entry in posting order, each with its lines (amounts as decimal strings)."""
    with store.reading() as db:
        entries = db.rows(
            sql.SQL(
                "SELECT entry_id, refund_id, attempt, event_id, kind, currency, posted_at, memo "
                "FROM finance_entries ORDER BY posted_at, refund_id, attempt, entry_id"
            )
        )
        lines = db.rows(
            sql.SQL(
                "SELECT entry_id, account, debit, credit FROM finance_lines "
                "ORDER BY entry_id, line_no"
            )
        )
    by_entry: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for line in lines:
        entry_id = line.pop("entry_id")
        by_entry[entry_id].append(line)
    return [{**entry, "lines": by_entry[entry["entry_id"]]} for entry in entries]


def trial_balance(store: ViewStore) -> list[dict[str, Any]]:
    """Debits, credits and balance (debits - credits) per account and currency."""
    with store.reading() as db:
        lines = db.rows(
            sql.SQL(
                "SELECT e.currency, l.account, l.debit, l.credit FROM finance_lines l "
                "JOIN finance_entries e ON e.entry_id = l.entry_id"
            )
        )
    totals: dict[tuple[str, str], list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
    for line in lines:
        total = totals[(line["currency"], line["account"])]
        total[0] += Decimal(line["debit"])
        total[1] += Decimal(line["credit"])
    return [
        {
            "currency": currency,
            "account": account,
            "debit": str(debit),
            "credit": str(credit),
            "balance": str(debit - credit),
        }
        for (currency, account), (debit, credit) in sorted(totals.items())
    ]
