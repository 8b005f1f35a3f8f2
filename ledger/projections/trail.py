"""Decision-trail view: one row per refund event (who, what, when, why, under which policy).

Serves `ledger audit search` across refunds by actor, event type, refund and time range.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from psycopg import sql

from ledger.domain import refund_events as ev
from ledger.domain.summary import event_summary
from ledger.projections.base import Fact, View, create_index, create_table
from ledger.store.tracking import Db

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

    def process(self, db: Db, batch: Sequence[Fact]) -> None:
        rows: list[list[Any]] = []
        for fact in batch:
            match fact.event:
                case ev.Requested() | ev.RefundEvent():
                    rows.append(_row(fact))
                case _:
                    pass  # orders, customer and address histories: not decisions on a refund
        db.insert_many(TABLE, COLUMNS, rows)


def _row(fact: Fact) -> list[Any]:
    """The event's row, its fields as `event_out` gives them (the payload dumped once here;
    the time's text and key are the fact's, computed once for every view)."""
    event = fact.event
    fields = event.payload.model_dump(mode="json")
    actor = fields.pop("actor", None)
    return [  # in COLUMNS order
        fact.key,
        event.originator_version,
        fact.seq,
        fields.get("type", type(event).__name__),
        actor,
        fields.get("at", fact.at),
        fact.at_key,
        event_summary(fields, also_skip=_SKIP),  # event_out's own keys are skipped anyway
        fields.get("policy_version"),
        fields.get("rule"),
    ]
