"""Decision-trail view: one row per refund event (who, what, when, why, under which policy).

Serves `ledger audit search` across refunds by actor, event type, refund and time range.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from psycopg import sql

from ledger.app.views import event_out
from ledger.domain import refund_events as ev
from ledger.projections.base import View, create_index, create_table, insert, time_key
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
_SKIP = {"version", "type", "actor", "at", "fingerprint", "findings", "items", "policy_version"}


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
        db.executemany(insert(TABLE, COLUMNS), rows)


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
        "summary": summary(fields),
        "policy_version": fields.get("policy_version"),
        "rule": fields.get("rule"),
    }
    return [values[c] for c in COLUMNS]


def summary(event: dict[str, Any]) -> str:
    """The fields of an event that a person reads first, as `key=value` pairs."""
    parts = [
        f"{key}={value}"
        for key, value in event.items()
        if key not in _SKIP and value not in (None, [], "")
    ]
    failed = [f["check"] for f in event.get("findings", []) if not f["passed"]]
    if failed:
        parts.append(f"failed={','.join(failed)}")
    return "; ".join(parts)
