"""Payouts view: one row per payout attempt (method, amount, provider reference, status).

Serves reconciliation against a payment provider's settlement file. The currency and order of
each refund come from its request, kept in a small side table of the view.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from psycopg import sql

from ledger.domain import refund_events as ev
from ledger.projections.base import Fact, View, create_index, create_table, rows_by_key
from ledger.store.tracking import Db

TABLE = "payouts"
REFUNDS = "payout_refunds"
COLUMNS: tuple[str, ...] = (
    "refund_id", "attempt", "seq", "order_id", "currency", "method", "amount", "status",
    "reference", "failure", "started_by", "started_at", "finished_at",
)  # fmt: skip
REFUND_COLUMNS = ("refund_id", "order_id", "currency")


class PayoutsView(View):
    name = "payouts"
    tables = (TABLE, REFUNDS)

    def schema(self, postgres: bool) -> list[sql.Composable]:
        kinds = {"attempt": "BIGINT", "seq": "BIGINT"}
        return [
            create_table(
                TABLE, [(c, kinds.get(c, "TEXT")) for c in COLUMNS], ["refund_id", "attempt"]
            ),
            create_table(REFUNDS, [(c, "TEXT") for c in REFUND_COLUMNS], ["refund_id"]),
            create_index(TABLE, "reference"),
            create_index(TABLE, "seq"),
        ]

    def process(self, db: Db, batch: Sequence[Fact]) -> None:
        """The batch's changes gathered in memory, then written in three statements: new
        refunds, new attempts (already settled or failed when that came in the batch too),
        and the outcomes of attempts started in earlier batches."""
        refunds = _known_refunds(db, batch)
        new_refunds: list[list[Any]] = []
        started: dict[tuple[str, int], dict[str, Any]] = {}
        finished: list[list[Any]] = []
        for fact in batch:
            key, event = fact.key, fact.event
            match event:
                case ev.Requested(payload=request):
                    refunds[key] = {"order_id": request.order_id, "currency": request.currency}
                    new_refunds.append([key, request.order_id, request.currency])
                case ev.PayoutStarted(payload=p):
                    started[(key, p.attempt)] = _attempt(fact, refunds.get(key))
                case ev.PayoutSettled(payload=p):
                    outcome: Outcome = ("settled", p.reference, None, fact.at)
                    _finish(started, finished, key, p.attempt, outcome)
                case ev.PayoutFailed(payload=p):
                    outcome = ("failed", p.reference, p.reason, fact.at)
                    _finish(started, finished, key, p.attempt, outcome)
                case _:
                    pass  # every other event changes no payout
        db.insert_many(REFUNDS, REFUND_COLUMNS, new_refunds)
        db.insert_many(TABLE, COLUMNS, [[row.get(c) for c in COLUMNS] for row in started.values()])
        db.executemany(FINISH, finished)


FINISH = sql.SQL(
    "UPDATE {} SET status = %s, reference = %s, failure = %s, finished_at = %s "
    "WHERE refund_id = %s AND attempt = %s"
).format(sql.Identifier(TABLE))
Outcome = tuple[str, str | None, str | None, str]  # status, reference, failure, finished at
OUTCOME = ("status", "reference", "failure", "finished_at")


def _known_refunds(db: Db, batch: Sequence[Fact]) -> dict[str, dict[str, Any]]:
    """Order and currency of the refunds whose payouts start in this batch, requested before."""
    requested = {f.key for f in batch if isinstance(f.event, ev.Requested)}
    ids = {f.key for f in batch if isinstance(f.event, ev.PayoutStarted)} - requested
    return rows_by_key(db, REFUNDS, "refund_id", sorted(ids))


def _attempt(fact: Fact, refund: dict[str, Any] | None) -> dict[str, Any]:
    started = fact.event.payload
    return {
        "refund_id": fact.key,
        "attempt": started.attempt,
        "seq": fact.seq,
        "order_id": (refund or {}).get("order_id"),
        "currency": (refund or {}).get("currency"),
        "method": started.method,
        "amount": str(started.amount),
        "status": "pending",
        "started_by": started.actor,
        "started_at": fact.at,
    }


def _finish(
    started: dict[tuple[str, int], dict[str, Any]],
    finished: list[list[Any]],
    key: str,
    attempt: int,
    outcome: Outcome,
) -> None:
    """An attempt of this batch changes in memory; an earlier one by an UPDATE."""
    row = started.get((key, attempt))
    if row is not None:
        row.update(zip(OUTCOME, outcome, strict=True))
    else:
        finished.append([*outcome, key, attempt])
