"""Payouts view: one row per payout attempt (method, amount, provider reference, status).

Serves reconciliation against a payment provider's settlement file. The currency and order of
each refund come from its request, kept in a small side table of the view.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from psycopg import sql

from ledger.domain import refund_events as ev
from ledger.projections.base import View, create_index, create_table, insert
from ledger.projections.store import Db

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

    def process(self, db: Db, batch: Sequence[tuple[int, Any]]) -> None:
        for notification_id, event in batch:
            match event:
                case ev.Requested(payload=request):
                    db.execute(
                        insert(REFUNDS, REFUND_COLUMNS),
                        (str(event.originator_id), request.order_id, request.currency),
                    )
                case ev.PayoutStarted(payload=started):
                    refund = _refund(db, str(event.originator_id))
                    row = {
                        "refund_id": str(event.originator_id),
                        "attempt": started.attempt,
                        "seq": notification_id,
                        "order_id": refund.get("order_id"),
                        "currency": refund.get("currency"),
                        "method": started.method,
                        "amount": str(started.amount),
                        "status": "pending",
                        "started_by": started.actor,
                        "started_at": event.timestamp.isoformat(),
                    }
                    db.execute(insert(TABLE, COLUMNS), [row.get(c) for c in COLUMNS])
                case ev.PayoutSettled(payload=settled):
                    _finish(db, event, settled.attempt, "settled", settled.reference, None)
                case ev.PayoutFailed(payload=failed):
                    _finish(db, event, failed.attempt, "failed", failed.reference, failed.reason)
                case _:
                    pass  # every other event changes no payout


def _refund(db: Db, refund_id: str) -> dict[str, Any]:
    found = db.rows(
        sql.SQL("SELECT * FROM {} WHERE refund_id = %s").format(sql.Identifier(REFUNDS)),
        (refund_id,),
    )
    return found[0] if found else {}


def _finish(
    db: Db, event: Any, attempt: int, status: str, reference: str | None, failure: str | None
) -> None:
    db.execute(
        sql.SQL(
            "UPDATE {} SET status = %s, reference = %s, failure = %s, finished_at = %s "
            "WHERE refund_id = %s AND attempt = %s"
        ).format(sql.Identifier(TABLE)),
        (
            status,
            reference,
            failure,
            event.timestamp.isoformat(),
            str(event.originator_id),
            attempt,
        ),
    )
