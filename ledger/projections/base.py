"""What every view shares: a name, its tables, and how it applies a batch of events."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar

from eventsourcing.utils import get_topic
from psycopg import sql

from ledger.domain.refund_events import CHAINED_EVENTS

if TYPE_CHECKING:
    from ledger.store.tracking import Db


#: The stored topics of every refund event: all that the views read (orders, customers and
#: addresses are never decoded for them).
REFUND_TOPICS = frozenset(get_topic(cls) for cls in CHAINED_EVENTS)


class Fact:
    """One decoded event with what every view derives from it, computed once per event: the
    notification id, the refund id as text, the time as ISO text and as a sortable key."""

    __slots__ = ("seq", "event", "key", "at", "at_key")

    def __init__(self, seq: int, event: Any) -> None:
        self.seq = seq
        self.event = event
        self.key = str(getattr(event, "originator_id", ""))
        moment = getattr(event, "timestamp", None)
        if isinstance(moment, datetime):
            self.at = moment.isoformat()
            self.at_key = time_key(moment)
        else:
            self.at = self.at_key = ""


class View(ABC):
    """A read model: rows derived from the refund events, kept by one projection."""

    name: ClassVar[str]
    tables: ClassVar[tuple[str, ...]]
    topics: ClassVar[frozenset[str]] = REFUND_TOPICS  # what `process` is given

    @abstractmethod
    def schema(self, postgres: bool) -> list[sql.Composable]:
        """CREATE statements of the view's tables and indexes (idempotent)."""

    @abstractmethod
    def process(self, db: Db, batch: Sequence[Fact]) -> None:
        """Apply the decoded events in notification order; events the view ignores are
        skipped."""


def rows_by_key(db: Db, table: str, key: str, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """The rows of `table` whose `key` is one of `ids`, by key (a few statements at most)."""
    found: dict[str, dict[str, Any]] = {}
    for start in range(0, len(ids), LOAD_CHUNK):
        chunk = ids[start : start + LOAD_CHUNK]
        statement = sql.SQL("SELECT * FROM {} WHERE {} IN ({})").format(
            sql.Identifier(table),
            sql.Identifier(key),
            sql.SQL(", ").join(sql.Placeholder() * len(chunk)),
        )
        for row in db.rows(statement, chunk):
            found[row[key]] = row
    return found


LOAD_CHUNK = 500  # SQLite allows 999 parameters (older builds), PostgreSQL far more


def time_key(moment: datetime) -> str:
    """A UTC time as text that sorts in time order (fixed width, microseconds, Z)."""
    if (
        moment.utcoffset() == _ZERO and moment.year >= 1000
    ):  # stored times are UTC: no conversion, no strftime
        return f"{moment.isoformat(timespec='microseconds')[:26]}Z"
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


_ZERO = timedelta(0)


def insert(table: str, columns: Sequence[str], conflict: Sequence[str] = ()) -> sql.Composed:
    """INSERT of every column; with `conflict`, an upsert that replaces the other columns."""
    statement = sql.SQL("INSERT INTO {} ({}) VALUES ({})").format(
        sql.Identifier(table),
        sql.SQL(", ").join(map(sql.Identifier, columns)),
        sql.SQL(", ").join(sql.Placeholder() * len(columns)),
    )
    if not conflict:
        return statement
    updates = [
        sql.SQL("{0} = excluded.{0}").format(sql.Identifier(c))
        for c in columns
        if c not in conflict
    ]
    return sql.Composed(
        [
            statement,
            sql.SQL(" ON CONFLICT ({}) DO UPDATE SET {}").format(
                sql.SQL(", ").join(map(sql.Identifier, conflict)), sql.SQL(", ").join(updates)
            ),
        ]
    )


def create_table(
    table: str, columns: Sequence[tuple[str, str]], key: Sequence[str]
) -> sql.Composed:
    return sql.SQL("CREATE TABLE IF NOT EXISTS {} ({}, PRIMARY KEY ({}))").format(
        sql.Identifier(table),
        sql.SQL(", ").join(
            sql.SQL("{} {}").format(sql.Identifier(name), sql.SQL(kind)) for name, kind in columns
        ),
        sql.SQL(", ").join(map(sql.Identifier, key)),
    )


def create_index(table: str, *columns: str) -> sql.Composed:
    return sql.SQL("CREATE INDEX IF NOT EXISTS {} ON {} ({})").format(
        sql.Identifier(f"{table}_{'_'.join(columns)}_idx"),
        sql.Identifier(table),
        sql.SQL(", ").join(map(sql.Identifier, columns)),
    )
