"""The finance consumer: a double-entry journal of refund payouts, in its own tables.

    payout started   Dr refund_expense    Cr refunds_payable   (the payout's amount)
    payout settled   Dr refunds_payable   Cr cash              (the settled amount)
    payout failed    Dr refunds_payable   Cr refund_expense    (reverses the started entry)

Amounts are exact decimal strings as the events carry them ("200.00"; "0" on the side a line
does not use), never floats; sums are taken with `Decimal`. A payout's currency is the
refund's, remembered when its `Requested` event arrives. A payout of a refund the journal
has never seen requested, or a failure with no started entry to reverse, is refused (the
runner dead-letters it). Other event types are acknowledged and ignored.

A batch is posted at once (`handle_many`): the currencies and started amounts it needs are
read in one statement each, what the batch itself posts is remembered as it goes, and the
rows are written at the end, a statement per table (consumers/bulk.py), so the outcome is
that of `handle` for each message in order (`handle` is `handle_many` of one message).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, ClassVar

from psycopg import sql

from consumers.bulk import insert_rows, select_keyed
from consumers.messages import Delivered
from ledger.store.tracking import Db, ViewStore

EXPENSE, PAYABLE, CASH = "refund_expense", "refunds_payable", "cash"
Line = tuple[str, Decimal, Decimal]  # account, debit, credit
PAYOUTS = ("PayoutStarted", "PayoutSettled", "PayoutFailed")
REFUND_COLUMNS = (("refund_id", "text"), ("currency", "text"))
ENTRY_COLUMNS = (
    ("entry_id", "text"),
    ("refund_id", "text"),
    ("attempt", "integer"),
    ("event_id", "text"),
    ("kind", "text"),
    ("currency", "text"),
    ("posted_at", "text"),
    ("memo", "text"),
)
LINE_COLUMNS = (
    ("entry_id", "text"),
    ("line_no", "integer"),
    ("account", "text"),
    ("debit", "text"),
    ("credit", "text"),
)


@dataclass
class _Batch:
    """What one batch reads before it posts, learns as it posts, and writes at the end."""

    currencies: dict[str, str]  # refund id -> currency
    started: dict[str, Decimal]  # "REFUND:ATTEMPT:started" -> its expense debit
    refunds: list[tuple[str, str]] = field(default_factory=list)
    entries: list[tuple[Any, ...]] = field(default_factory=list)
    lines: list[tuple[Any, ...]] = field(default_factory=list)


class Unbalanced(Exception):
    """An entry whose debits differ from its credits (a bug: nothing is posted)."""


class CannotPost(Exception):
    """A payout event the journal cannot post (unknown refund, nothing to reverse)."""


def check_balanced(lines: list[Line]) -> None:
    """Raise `Unbalanced` unless the lines' debits equal their credits (and are not empty)."""
    debits, credits = sum(d for _, d, _ in lines), sum(c for _, _, c in lines)
    if not lines or debits != credits or debits <= 0:
        raise Unbalanced(f"debits {debits} != credits {credits} in {lines}")


class FinanceHandler:
    """Posts journal entries for payouts (the `Handler` of `ledger consume finance`)."""

    name: ClassVar[str] = "finance"

    def schema(self, postgres: bool) -> list[sql.Composable]:
        return [
            sql.SQL(
                "CREATE TABLE IF NOT EXISTS finance_refunds ("
                "refund_id TEXT PRIMARY KEY, currency TEXT NOT NULL)"
            ),
            sql.SQL(
                "CREATE TABLE IF NOT EXISTS finance_entries ("
                "entry_id TEXT PRIMARY KEY, refund_id TEXT NOT NULL, attempt INTEGER NOT NULL, "
                "event_id TEXT NOT NULL UNIQUE, kind TEXT NOT NULL, currency TEXT NOT NULL, "
                "posted_at TEXT NOT NULL, memo TEXT NOT NULL)"
            ),
            sql.SQL(
                "CREATE TABLE IF NOT EXISTS finance_lines ("
                "entry_id TEXT NOT NULL REFERENCES finance_entries (entry_id), "
                "line_no INTEGER NOT NULL, account TEXT NOT NULL, "
                "debit TEXT NOT NULL, credit TEXT NOT NULL, PRIMARY KEY (entry_id, line_no))"
            ),
        ]

    def handle(self, db: Db, message: Delivered) -> None:
        self.handle_many(db, [message])

    def handle_many(self, db: Db, messages: Sequence[Delivered]) -> None:
        """Post the entries of `messages`, in order, as `handle` for each would."""
        mine = [m for m in messages if m.event_type == "Requested" or m.event_type in PAYOUTS]
        if not mine:
            return  # not a movement of money: acknowledged (and deduplicated) only
        failed = [m for m in mine if m.event_type == "PayoutFailed"]
        batch = _Batch(
            _currencies(db, {m.refund_id for m in mine}),
            _started_amounts(db, {_started_id(m) for m in failed}),
        )
        for message in mine:
            self._one(batch, message)
        insert_rows(db, "finance_refunds", REFUND_COLUMNS, batch.refunds)
        insert_rows(db, "finance_entries", ENTRY_COLUMNS, batch.entries)
        insert_rows(db, "finance_lines", LINE_COLUMNS, batch.lines)

    def after_commit(self, store: ViewStore, producer: Any) -> None:
        """Nothing to publish: the journal lives in the database only."""

    def _one(self, batch: _Batch, message: Delivered) -> None:
        payload = message.payload
        match message.event_type:
            case "Requested":
                currency = payload["currency"]
                if message.refund_id not in batch.currencies:  # else kept, as it was first
                    batch.currencies[message.refund_id] = currency
                    batch.refunds.append((message.refund_id, currency))
            case "PayoutStarted":
                amount = Decimal(payload["amount"])
                memo = f"payout started ({payload['method']})"
                lines = [(EXPENSE, amount, Decimal(0)), (PAYABLE, Decimal(0), amount)]
                self._post(batch, message, "started", lines, memo)
            case "PayoutSettled":
                amount = Decimal(payload["amount"])
                memo = f"payout settled (reference {payload['reference']})"
                lines = [(PAYABLE, amount, Decimal(0)), (CASH, Decimal(0), amount)]
                self._post(batch, message, "settled", lines, memo)
            case "PayoutFailed":
                started = batch.started.get(_started_id(message))
                if started is None:
                    raise CannotPost(
                        f"no started payout {int(payload['attempt'])} of refund "
                        f"{message.refund_id} to reverse"
                    )
                memo = f"payout failed: {payload['reason']} (reverses the started entry)"
                lines = [(PAYABLE, started, Decimal(0)), (EXPENSE, Decimal(0), started)]
                self._post(batch, message, "failed", lines, memo)

    def _post(
        self, batch: _Batch, message: Delivered, kind: str, lines: list[Line], memo: str
    ) -> None:
        check_balanced(lines)
        currency = batch.currencies.get(message.refund_id)
        if currency is None:
            raise CannotPost(f"refund {message.refund_id} was never requested in this journal")
        attempt = int(message.payload["attempt"])
        entry_id = f"{message.refund_id}:{attempt}:{kind}"
        batch.entries.append(
            (entry_id, message.refund_id, attempt, message.id, kind, currency,
             message.time.isoformat(), memo)
        )  # fmt: skip
        batch.lines += [
            (entry_id, n, account, str(debit), str(credit))
            for n, (account, debit, credit) in enumerate(lines, start=1)
        ]
        if kind == "started":  # what a failure of this attempt reverses, as stored
            batch.started[entry_id] = Decimal(str(lines[0][1]))


def _started_id(message: Delivered) -> str:
    return f"{message.refund_id}:{int(message.payload['attempt'])}:started"


def _currencies(db: Db, refund_ids: set[str]) -> dict[str, str]:
    select = "SELECT refund_id, currency FROM finance_refunds WHERE {}"
    rows = select_keyed(db, select, "refund_id", sorted(refund_ids))
    return {str(row["refund_id"]): str(row["currency"]) for row in rows}


def _started_amounts(db: Db, entry_ids: set[str]) -> dict[str, Decimal]:
    select = "SELECT entry_id, debit FROM finance_lines WHERE account = %s AND {}"
    rows = select_keyed(db, select, "entry_id", sorted(entry_ids), [EXPENSE])
    return {str(row["entry_id"]): Decimal(row["debit"]) for row in rows}
