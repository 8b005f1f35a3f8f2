"""The finance consumer: a double-entry journal of refund payouts, in its own tables.

    payout started   Dr refund_expense    Cr refunds_payable   (the payout's amount)
    payout settled   Dr refunds_payable   Cr cash              (the settled amount)
    payout failed    Dr refunds_payable   Cr refund_expense    (reverses the started entry)

Amounts are exact decimal strings as the events carry them ("200.00"; "0" on the side a line
does not use), never floats; sums are taken with `Decimal`. A payout's currency is the
refund's, remembered when its `Requested` event arrives. A payout of a refund the journal
has never seen requested, or a failure with no started entry to reverse, is refused (the
runner dead-letters it). Other event types are acknowledged and ignored.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, ClassVar

from psycopg import sql

from consumers.messages import Delivered
from ledger.projections.store import Db, ViewStore

EXPENSE, PAYABLE, CASH = "refund_expense", "refunds_payable", "cash"
Line = tuple[str, Decimal, Decimal]  # account, debit, credit


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
        payload = message.payload
        match message.event_type:
            case "Requested":
                db.execute(
                    sql.SQL(
                        "INSERT INTO finance_refunds (refund_id, currency) VALUES (%s, %s) "
                        "ON CONFLICT (refund_id) DO NOTHING"
                    ),
                    (message.refund_id, payload["currency"]),
                )
            case "PayoutStarted":
                amount = Decimal(payload["amount"])
                memo = f"payout started ({payload['method']})"
                lines = [(EXPENSE, amount, Decimal(0)), (PAYABLE, Decimal(0), amount)]
                self._post(db, message, "started", lines, memo)
            case "PayoutSettled":
                amount = Decimal(payload["amount"])
                memo = f"payout settled (reference {payload['reference']})"
                lines = [(PAYABLE, amount, Decimal(0)), (CASH, Decimal(0), amount)]
                self._post(db, message, "settled", lines, memo)
            case "PayoutFailed":
                amount = self._started_amount(db, message.refund_id, int(payload["attempt"]))
                memo = f"payout failed: {payload['reason']} (reverses the started entry)"
                lines = [(PAYABLE, amount, Decimal(0)), (EXPENSE, Decimal(0), amount)]
                self._post(db, message, "failed", lines, memo)
            case _:
                pass  # not a movement of money: acknowledged (and deduplicated) only

    def after_commit(self, store: ViewStore, producer: Any) -> None:
        """Nothing to publish: the journal lives in the database only."""

    def _post(self, db: Db, message: Delivered, kind: str, lines: list[Line], memo: str) -> None:
        check_balanced(lines)
        currency = self._currency(db, message.refund_id)
        attempt = int(message.payload["attempt"])
        entry_id = f"{message.refund_id}:{attempt}:{kind}"
        db.execute(
            sql.SQL(
                "INSERT INTO finance_entries (entry_id, refund_id, attempt, event_id, kind, "
                "currency, posted_at, memo) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
            ),
            (entry_id, message.refund_id, attempt, message.id, kind, currency,
             message.time.isoformat(), memo),
        )  # fmt: skip
        db.executemany(
            sql.SQL(
                "INSERT INTO finance_lines (entry_id, line_no, account, debit, credit) "
                "VALUES (%s, %s, %s, %s, %s)"
            ),
            [(entry_id, n, account, str(debit), str(credit))
             for n, (account, debit, credit) in enumerate(lines, start=1)],
        )  # fmt: skip

    def _currency(self, db: Db, refund_id: str) -> str:
        found = db.rows(
            sql.SQL("SELECT currency FROM finance_refunds WHERE refund_id = %s"), (refund_id,)
        )
        if not found:
            raise CannotPost(f"refund {refund_id} was never requested in this journal")
        return str(found[0]["currency"])

    def _started_amount(self, db: Db, refund_id: str, attempt: int) -> Decimal:
        found = db.rows(
            sql.SQL("SELECT debit FROM finance_lines WHERE entry_id = %s AND account = %s"),
            (f"{refund_id}:{attempt}:started", EXPENSE),
        )
        if not found:
            raise CannotPost(f"no started payout {attempt} of refund {refund_id} to reverse")
        return Decimal(found[0]["debit"])
