"""Statements over many rows at once, on either back end of a consumer's store.

PostgreSQL gets one statement with a column of values per parameter (`unnest`), whatever the
number of rows; SQLite gets multi-row VALUES lists and IN lists, in chunks within its limit
of parameters (32,766). `Db.qmark` tells the back ends apart.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from psycopg import sql

from ledger.store.tracking import Db

SQLITE_PARAMETERS = 30_000


def insert_rows(
    db: Db,
    table: str,
    columns: Sequence[tuple[str, str]],
    rows: Sequence[Sequence[Any]],
    suffix: str = "",
) -> list[dict[str, Any]]:
    """INSERT `rows` into `table` (`columns`: name and PostgreSQL type, e.g. ("id", "text"));
    `suffix` follows the values (ON CONFLICT ..., RETURNING ...); the rows returned, if any."""
    if not rows:
        return []
    names = sql.SQL(", ").join(sql.Identifier(name) for name, _ in columns)
    insert = sql.SQL("INSERT INTO {} ({}) ").format(sql.Identifier(table), names)
    tail = sql.SQL(" " + suffix if suffix else "")
    returning = "RETURNING" in suffix.upper()
    if not db.qmark:
        arrays = sql.SQL(", ").join(sql.SQL("%s::" + kind + "[]") for _, kind in columns)
        unnest = sql.SQL("SELECT * FROM unnest({})").format(arrays)
        params = [list(column) for column in zip(*rows, strict=True)]
        return _run(db, insert + unnest + tail, params, returning)
    found: list[dict[str, Any]] = []
    row = sql.SQL("({})").format(sql.SQL(", ").join([sql.SQL("%s")] * len(columns)))
    per_chunk = max(1, SQLITE_PARAMETERS // len(columns))
    for start in range(0, len(rows), per_chunk):
        chunk = rows[start : start + per_chunk]
        values = sql.SQL("VALUES ") + sql.SQL(", ").join([row] * len(chunk))
        flat = [value for one in chunk for value in one]
        found += _run(db, insert + values + tail, flat, returning)
    return found


def select_keyed(
    db: Db, select: str, column: str, keys: Sequence[str], params: Sequence[Any] = ()
) -> list[dict[str, Any]]:
    """The rows of `select` whose text `column` is one of `keys`: `select` has one `{}` for
    the condition on `column`, after its own `params`."""
    if not keys:
        return []
    if not db.qmark:
        where = sql.SQL("{} = ANY(%s)").format(sql.Identifier(column))
        return db.rows(sql.SQL(select).format(where), [*params, list(keys)])
    found: list[dict[str, Any]] = []
    per_chunk = SQLITE_PARAMETERS - len(params)
    for start in range(0, len(keys), per_chunk):
        chunk = keys[start : start + per_chunk]
        where = sql.SQL("{} IN ({})").format(
            sql.Identifier(column), sql.SQL(", ").join([sql.SQL("%s")] * len(chunk))
        )
        found += db.rows(sql.SQL(select).format(where), [*params, *chunk])
    return found


def _run(
    db: Db, statement: sql.Composable, params: Sequence[Any], returning: bool
) -> list[dict[str, Any]]:
    if returning:
        return db.rows(statement, params)
    db.execute(statement, params)
    return []
