"""Decision-trail view: one row per refund event (who, what, when, why, under which policy).

Serves `ledger audit search` across refunds by actor, event type, refund and time range.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from psycopg import sql

from ledger.app.views import event_out, event_summary
from ledger.domain import refund_events as ev
from ledger.projections.base import View, create_index, create_table, time_key
from ledger.projections.store import Db

TABLE = "decision_trail"
COLUMNS: tuple[str, ...] = (
    "refund_id", "version", "seq", "type", "actor", "at", "at_key", "summary",
    "policy_version", "rule",
)  # fmt: skip
EVENT_TYPES: tuple[str, ...] = tuple(
    sorted(
        cls.__name__
        for cls in vars(ev).values()
        if isinstance(cls, type) and issubclass(cls, (ev.Requested, ev.RefundEvent))
        and cls is not ev.RefundEvent
    )
)  # fmt: skip
_SKIP = frozenset({"policy_version"})  # the view has a column of its own for it


class DecisionTrailView(View):
    name = "decision_trail"
    tables = (TABLE,)

    def schema(self, postgres: bool) -> list[sql.Composable]:
        columns = [(c, "BIGINT" if c in ("version", "seq") else "TEXT") for c in COLUMNS]
        statements: list[sql.Composable] = [
            create_table(TABLE, columns, ["refund_id", "version"]),
            create_index(TABLE, "seq"),
        ]
        if postgres:  # the filters of `ledger audit search`, each in trail order
            for column in ("actor", "type", "at_key"):
                statements.append(create_index(TABLE, column, "seq"))
        return statements

    def process(self, db: Db, batch: Sequence[tuple[int, Any]]) -> None:
        rows: list[list[Any]] = []
        for notification_id, event in batch:
            match event:
                case ev.Requested() | ev.RefundEvent():
                    rows.append(_row(notification_id, event))
                case _:
                    pass  # orders, customer and address histories: not decisions on a refund
        db.insert_many(TABLE, COLUMNS, rows)


def _row(notification_id: int, event: Any) -> list[Any]:
    fields = event_out(event)
    values = {
        "refund_id": str(event.originator_id),
        "version": event.originator_version,
        "seq": notification_id,
        "type": fields["type"],
        "actor": fields["actor"],
        "at": fields["at"],
        "at_key": time_key(event.timestamp),
        "summary": event_summary(fields, also_skip=_SKIP),
        "policy_version": fields.get("policy_version"),
        "rule": fields.get("rule"),
    }
    return [values[c] for c in COLUMNS]
