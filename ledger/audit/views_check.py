"""`audit verify --views`: every read model rebuilt from the events, compared row by row
with the stored one.

The stored views are caught up first; then each view is rebuilt in a scratch database (the
in-memory store, private to this check) from the same events up to the stored view's own
position, and both tables are read whole, in key order, and compared. The first row that
differs, is missing or is extra is named: its table, its key, and the column that differs.
An edited `decision_trail` row that hides an approver is such a row.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from eventsourcing.utils import get_topic
from psycopg import sql

from ledger.app.tokens import Tokens, disagreement
from ledger.audit.findings import Findings
from ledger.domain.token import ApiToken
from ledger.projections.base import Fact, View
from ledger.projections.runner import Projections
from ledger.store import memory
from ledger.store.tracking import ViewStore, tables_at

PAGE = 5000


@dataclass
class ViewsReport(Findings):
    tables: int = 0
    rows: int = 0
    problems: list[str] = field(default_factory=list)


@contextmanager
def _scratch() -> Iterator[ViewStore]:
    env = memory.env_of(f"views-check-{uuid.uuid4().hex[:12]}")
    memory.hold(env)
    try:
        with tables_at(env) as store:
            yield store
    finally:
        memory.release(env)


def verify_views(projections: Projections, tokens: Tokens | None = None) -> ViewsReport:
    """The read models, and (given `tokens`) the `api_tokens` rows, against the events."""
    projections.catch_up()
    positions = projections.store.positions(list(projections.views))
    report = ViewsReport()
    with _scratch() as scratch:
        views = list(projections.views.values())
        for view in views:
            scratch.ensure(view.name, view.schema(False))
        _rebuild(projections, scratch, views, positions)
        for view in views:
            for table in view.tables:
                report.tables += 1
                _compare(report, table, projections.store, scratch)
    if tokens is not None:
        report.tables += 1
        report.problems += _token_problems(tokens, report)
    return report


def _token_problems(tokens: Tokens, report: ViewsReport) -> list[str]:
    """Each row of `api_tokens` against its token's events, and each issued token's row."""
    rows = {row["id"]: row for row in tokens.table.every_row()}
    report.rows += len(rows)
    recorder, start, issued = tokens.ledger.recorder, 0, set()
    topic = [get_topic(ApiToken.Issued)]
    while page := recorder.select_notifications(
        start=start, limit=PAGE, topics=topic, inclusive_of_start=False
    ):
        events: list[Any] = [tokens.ledger.mapper.to_domain_event(n) for n in page]
        issued |= {event.token_id for event in events}
        start = page[-1].id
    problems = []
    for token_id in sorted(set(rows) | issued):
        row = rows.get(token_id)
        if row is None:
            problems.append(f"api_tokens token {token_id}: its row is gone (its events issue it)")
            continue
        found = disagreement(row, tokens.aggregate(token_id))
        if found is not None:
            problems.append(f"api_tokens token {token_id}: {found}")
    return problems


def _rebuild(
    projections: Projections, scratch: ViewStore, views: Sequence[View], positions: dict[str, int]
) -> None:
    app, start, last = projections.app, 0, max(positions.values(), default=0)
    topics = frozenset().union(*(view.topics for view in views))
    while start < last:
        page = app.recorder.select_notifications(
            start=start, limit=PAGE, stop=last, inclusive_of_start=False
        )
        if not page:
            return
        facts = [Fact(n.id, app.mapper.to_domain_event(n)) for n in page if n.topic in topics]
        with scratch.writing() as db:
            for view in views:
                view.process(db, [f for f in facts if f.seq <= positions[view.name]])
        start = page[-1].id


def _rows(store: ViewStore, table: str) -> list[dict[str, Any]]:
    with store.reading() as db:
        rows = db.rows(sql.SQL("SELECT * FROM {}").format(sql.Identifier(table)))
    return sorted(rows, key=lambda row: tuple(_text(row[c]) for c in sorted(row)))


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _compare(report: ViewsReport, table: str, stored: ViewStore, scratch: ViewStore) -> None:
    mine, rebuilt = _rows(stored, table), _rows(scratch, table)
    report.rows += len(mine)
    keyed = {_key(row): row for row in rebuilt}
    for row in mine:
        key = _key(row)
        expected = keyed.pop(key, None)
        if expected is None:
            report.problems.append(f"{table} {_named(key)}: a row the events do not make")
            return
        for column in sorted(expected):
            if _text(row.get(column)) != _text(expected[column]):
                report.problems.append(
                    f"{table} {_named(key)}: {column} is {_text(row.get(column))!r}, the "
                    f"events make it {_text(expected[column])!r}"
                )
                return
    if keyed:
        key = next(iter(keyed))
        report.problems.append(f"{table} {_named(key)}: missing (the events make this row)")


def _key(row: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    """A row's identity: the columns a view keys its rows by, as far as the row has them."""
    names: list[str] = [c for c in ("refund_id", "version", "attempt") if c in row]
    return tuple((name, _text(row[name])) for name in names or sorted(row))


def _named(key: tuple[tuple[str, str], ...]) -> str:
    return " ".join(f"{name} {value}" for name, value in key)
