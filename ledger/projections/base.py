"""What every view shares: a name, its tables, and how it applies a batch of events."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar

from psycopg import sql

if TYPE_CHECKING:
    from ledger.projections.store import Db


class View(ABC):
    """A read model: rows derived from the refund events, kept by one projection."""

    name: ClassVar[str]
    tables: ClassVar[tuple[str, ...]]

    @abstractmethod
    def schema(self, postgres: bool) -> list[sql.Composable]:
        """CREATE statements of the view's tables and indexes (idempotent)."""

    @abstractmethod
    def process(self, db: Db, batch: Sequence[tuple[int, Any]]) -> None:
        """Apply (notification id, event) pairs in order; events the view ignores are skipped."""


def time_key(moment: datetime) -> str:
    """A UTC time as text that sorts in time order (fixed width, microseconds, Z)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


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
