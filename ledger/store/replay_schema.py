"""The table of `Idempotency-Key`s, and the columns a table made by an older version lacks."""

from __future__ import annotations

from psycopg import sql

from ledger.store.tracking import Db, ViewStore

TABLE = "api_idempotency"
SCHEMA_NAME = "api.idempotency"
# Who holds a pending key (store/owners.py Owner as JSON) and when it last renewed its lease; NULL
# in the rows of a version that named no owner
OWNER_COLUMNS = ("owner", "renewed_at")


def replay_schema(postgres: bool) -> list[sql.Composable]:
    """The table, one row per (scope, key): pending while `completed_at` is NULL."""
    table = sql.Identifier(TABLE)
    return [
        sql.SQL(
            "CREATE TABLE IF NOT EXISTS {} ("
            "scope TEXT NOT NULL, idempotency_key TEXT NOT NULL, fingerprint TEXT NOT NULL, "
            "created_at TEXT NOT NULL, completed_at TEXT, status INTEGER, headers TEXT, "
            "body {}, owner TEXT, renewed_at TEXT, PRIMARY KEY (scope, idempotency_key))"
        ).format(table, sql.SQL("BYTEA" if postgres else "BLOB")),
        sql.SQL("CREATE INDEX IF NOT EXISTS {} ON {} (created_at)").format(
            sql.Identifier(f"{TABLE}_created_at"), table
        ),
    ]


def add_owner_columns(store: ViewStore, postgres: bool) -> None:
    """Add OWNER_COLUMNS to a table made before they existed; nothing when they are there.

    Safe to run twice and from two processes at once: the columns are looked for again in
    the write transaction (SQLite's begins IMMEDIATE, so one process adds them), and
    PostgreSQL adds a column only IF NOT EXISTS.
    """
    with store.reading() as db:
        if not _missing(db, postgres):
            return
    with store.writing() as db:
        for column in _missing(db, postgres):
            db.execute(
                sql.SQL("ALTER TABLE {} ADD COLUMN {}{} TEXT").format(
                    sql.Identifier(TABLE),
                    sql.SQL("IF NOT EXISTS " if postgres else ""),
                    sql.Identifier(column),
                )
            )


def _missing(db: Db, postgres: bool) -> list[str]:
    if postgres:
        found = db.rows(
            sql.SQL(
                "SELECT column_name AS name FROM information_schema.columns "
                "WHERE table_name = %s AND table_schema = current_schema()"
            ),
            (TABLE,),
        )
    else:
        found = db.rows(sql.SQL("PRAGMA table_info({})").format(sql.Identifier(TABLE)))
    present = {row["name"] for row in found}
    return [column for column in OWNER_COLUMNS if column not in present]
