"""Where the views live: a tracking recorder on the ledger's own database, one per back end.

A view's rows and its tracking position commit in one transaction. The transaction starts by
moving the position from the one the batch was read at to the batch's last notification id
(compare and set): a second process that read the same batch finds the position moved, rolls
back and reads again, so no event is ever applied twice.
"""

from __future__ import annotations

import random
import sqlite3
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import Any, Protocol, cast

from eventsourcing.application import Application
from eventsourcing.persistence import InfrastructureFactory, OperationalError, PersistenceError
from eventsourcing.postgres import PostgresDatastore, PostgresTrackingRecorder
from eventsourcing.sqlite import SQLiteDatastore, SQLiteTrackingRecorder
from eventsourcing.utils import Environment
from psycopg import sql

from ledger.store.failures import classify

TRACKING_TABLE = "projection_tracking"  # PostgreSQL; the SQLite recorder's table is `tracking`
KEY_PREFIX = "projection."
SCHEMA_ATTEMPTS = 10


class StalePosition(Exception):
    """Another process moved the view on while this batch was being read."""


def fixed(statement: sql.Composable) -> sql.SQL:
    """`statement` rendered once, for a statement run on every request: psycopg renders a
    composed statement again at each execution (quoting every identifier), which cost more
    per request than recording a command's idempotency key (counted with cachegrind)."""
    return sql.SQL(statement.as_string(None))


class Db:
    """One open transaction: statements built with psycopg.sql, parameters as %s."""

    def __init__(self, cursor: Any, qmark: bool) -> None:
        self.cursor = cursor
        self.qmark = qmark

    def _text(self, statement: sql.Composable) -> Any:
        return statement.as_string(None).replace("%s", "?") if self.qmark else statement

    def execute(self, statement: sql.Composable, params: Sequence[Any] = ()) -> None:
        self.cursor.execute(self._text(statement), tuple(params))

    def executemany(self, statement: sql.Composable, rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            self.cursor.executemany(self._text(statement), [tuple(row) for row in rows])

    def insert_many(
        self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]
    ) -> None:
        """New rows (no upsert): one COPY on PostgreSQL, an executemany'd INSERT on SQLite."""
        if not rows:
            return
        if self.qmark:
            statement = sql.SQL("INSERT INTO {} ({}) VALUES ({})").format(
                sql.Identifier(table),
                sql.SQL(", ").join(map(sql.Identifier, columns)),
                sql.SQL(", ").join(sql.Placeholder() * len(columns)),
            )
            self.executemany(statement, rows)
            return
        copy = sql.SQL("COPY {} ({}) FROM STDIN").format(
            sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, columns))
        )
        with self.cursor.copy(copy) as writer:
            for row in rows:
                writer.write_row(row)

    def rows(self, statement: sql.Composable, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        self.execute(statement, params)
        return [dict(row) for row in self.cursor.fetchall()]


class ViewStore(Protocol):
    def ensure(self, name: str, statements: Sequence[sql.Composable]) -> None: ...
    def position(self, name: str) -> int: ...
    def positions(self, names: Sequence[str]) -> dict[str, int]: ...
    def advance(self, db: Db, name: str, expected: int, last: int) -> bool: ...
    def advancing(self, name: str, expected: int, last: int) -> AbstractContextManager[Db]: ...
    def reset(self, name: str, tables: Sequence[str]) -> None: ...
    def reading(self) -> AbstractContextManager[Db]: ...
    def writing(self) -> AbstractContextManager[Db]: ...
    def single(self) -> AbstractContextManager[Db]: ...


class _Tracked:
    """What both back ends share: statements on the tracking table, and the transactions."""

    qmark = False
    tracking: sql.Composable
    datastore: Any  # PostgresDatastore or SQLiteDatastore: each recorder base declares its own

    def _transaction(self, commit: bool) -> AbstractContextManager[Any]:
        return cast(AbstractContextManager[Any], self.datastore.transaction(commit=commit))

    def ensure(self, name: str, statements: Sequence[sql.Composable]) -> None:
        """Create the view's tables and its tracking row (position 0) when missing.

        The row and the tables commit together, so the row says both exist.
        """
        if self._has_row(name):
            return
        with self._transaction(commit=True) as cursor:
            db = Db(cursor, self.qmark)
            db.execute(
                sql.SQL(
                    "INSERT INTO {} (application_name, notification_id) VALUES (%s, 0) "
                    "ON CONFLICT (application_name) DO NOTHING"
                ).format(self.tracking),
                (KEY_PREFIX + name,),
            )
            for statement in statements:
                db.execute(statement)

    def _has_row(self, name: str) -> bool:
        with self.reading() as db:
            return bool(
                db.rows(
                    sql.SQL("SELECT 1 FROM {} WHERE application_name = %s").format(self.tracking),
                    (KEY_PREFIX + name,),
                )
            )

    def position(self, name: str) -> int:
        with self.reading() as db:
            found = db.rows(
                sql.SQL("SELECT notification_id FROM {} WHERE application_name = %s").format(
                    self.tracking
                ),
                (KEY_PREFIX + name,),
            )
        return int(found[0]["notification_id"]) if found else 0

    def positions(self, names: Sequence[str]) -> dict[str, int]:
        """The positions of the named views (0 for one without a tracking row), one read."""
        with self.reading() as db:
            found = db.rows(
                sql.SQL("SELECT application_name, notification_id FROM {}").format(self.tracking)
            )
        known = {row["application_name"]: int(row["notification_id"]) for row in found}
        return {name: known.get(KEY_PREFIX + name, 0) for name in names}

    def advance(self, db: Db, name: str, expected: int, last: int) -> bool:
        """In `db`'s transaction, move the position from `expected` to `last` (compare and
        set); False when another process moved it first (this transaction then changed
        nothing of the view, and must apply nothing to it)."""
        moved = db.rows(
            sql.SQL(
                "UPDATE {} SET notification_id = %s "
                "WHERE application_name = %s AND notification_id = %s "
                "RETURNING notification_id"
            ).format(self.tracking),
            (last, KEY_PREFIX + name, expected),
        )
        return bool(moved)

    @contextmanager
    def advancing(self, name: str, expected: int, last: int) -> Iterator[Db]:
        """A transaction that moves the position from `expected` to `last`, or StalePosition."""
        with self._transaction(commit=True) as cursor:
            db = Db(cursor, self.qmark)
            if not self.advance(db, name, expected, last):
                raise StalePosition(name)
            yield db

    def reset(self, name: str, tables: Sequence[str]) -> None:
        """Remove every row of the view and move its position back to 0, in one transaction."""
        with self._transaction(commit=True) as cursor:
            db = Db(cursor, self.qmark)
            for table in tables:
                db.execute(sql.SQL("DELETE FROM {}").format(sql.Identifier(table)))
            db.execute(
                sql.SQL("UPDATE {} SET notification_id = 0 WHERE application_name = %s").format(
                    self.tracking
                ),
                (KEY_PREFIX + name,),
            )

    @contextmanager
    def reading(self) -> Iterator[Db]:
        with self._transaction(commit=False) as cursor:
            yield Db(cursor, self.qmark)

    @contextmanager
    def writing(self) -> Iterator[Db]:
        """One transaction that commits when the block ends, or rolls back on an error."""
        with self._transaction(commit=True) as cursor:
            yield Db(cursor, self.qmark)

    def single(self) -> AbstractContextManager[Db]:
        """For one statement that is a transaction by itself (here: within `writing()`)."""
        return self.writing()


class PostgresViews(_Tracked, PostgresTrackingRecorder):
    """The views' tracking recorder on PostgreSQL."""

    datastore: PostgresDatastore

    @contextmanager
    def single(self) -> Iterator[Db]:
        """Each statement commits by itself (autocommit): one round trip, where a transaction
        around it would add a BEGIN and a COMMIT."""
        with self.datastore.get_connection() as connection, connection.cursor() as cursor:
            yield Db(cursor, self.qmark)

    def __init__(self, datastore: PostgresDatastore) -> None:
        super().__init__(datastore, tracking_table_name=TRACKING_TABLE)
        self.tracking = sql.Identifier(datastore.schema, TRACKING_TABLE)


class SQLiteViews(_Tracked, SQLiteTrackingRecorder):
    """The views' tracking recorder on SQLite (the library's `tracking` table)."""

    qmark = True

    def __init__(self, datastore: SQLiteDatastore) -> None:
        super().__init__(datastore)
        self.tracking = sql.Identifier("tracking")

    @contextmanager
    def _transaction(self, commit: bool) -> Iterator[Any]:
        """Writes begin IMMEDIATE: a deferred transaction that has read (if only the schema)
        fails at once with "database is locked" when another process writes, not waiting."""
        if not commit:
            with self.datastore.transaction(commit=False) as cursor:
                yield cursor
            return
        with self.datastore.get_connection(commit=True) as connection:
            cursor = connection.cursor()
            try:
                cursor.execute("BEGIN IMMEDIATE")
                yield cursor
                connection.commit()
            except sqlite3.Error as error:
                connection.rollback()
                raise OperationalError(error) from error
            except BaseException:
                connection.rollback()
                raise
            finally:
                cursor.sqlite_cursor.close()


def open_store(app: Application[Any]) -> ViewStore:
    """The views' recorder on the application's own database (its tracking table created)."""
    return store_on(getattr(app.factory, "datastore", None))


@contextmanager
def tables_at(env: Mapping[str, str]) -> Iterator[ViewStore]:
    """A store on the database that `env` (eventsourcing's variables) names, for tables of
    its own: the ledger's event tables are neither made nor needed there (the consumers')."""
    factory = InfrastructureFactory.construct(Environment(env={**env, "CREATE_TABLE": "n"}))
    try:
        yield store_on(getattr(factory, "datastore", None))
    finally:
        factory.close()


def store_on(datastore: object) -> ViewStore:
    """The views' recorder on an open datastore (its tracking table created)."""
    store: PostgresViews | SQLiteViews
    if isinstance(datastore, PostgresDatastore):
        store = PostgresViews(datastore)
    elif isinstance(datastore, SQLiteDatastore):
        store = SQLiteViews(datastore)
    else:
        raise TypeError(f"read models need SQLite or PostgreSQL, not {type(datastore).__name__}")
    for attempt in range(SCHEMA_ATTEMPTS):  # other processes may be creating it right now
        try:
            store.create_table()
            break
        except (PersistenceError, sqlite3.Error) as error:
            if _unwritable(error):
                break  # nothing can be created: the table there is read as it is
            if attempt == SCHEMA_ATTEMPTS - 1:
                raise
            time.sleep(random.uniform(0.05, 0.2))
    return store


def _unwritable(error: Exception) -> bool:
    """The database is read-only or its disk full."""
    failure = classify(error)
    return failure is not None and failure.of_storage
