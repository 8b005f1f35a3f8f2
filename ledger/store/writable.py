"""Whether the database takes writes (/healthz's `writable`), asked without writing anything
that stays. Each probe returns what it saw, or raises the database's own error (a full disk,
a read-only database), which `classify` words.

SQLite: a transaction that takes the write lock, creates a table and fills two pages, then
rolls back: it fails when the database may not grow (SQLITE_FULL) or is read-only; and the
file system holding the file must have space left (SQLite writes whole pages when it
commits, which a rolled-back probe never does).

PostgreSQL: `ledger_health_probe`, a table of the ledger's schema that never keeps a row. In
one transaction that is rolled back: TRUNCATE it (it gets a new, empty file), INSERT one row
(the server must extend that file by a block, which on a full disk fails with 53100
disk_full, "could not extend file ...: No space left on device"), ROLLBACK (the new file is
emptied at once and removed at the next checkpoint). A read-only session or a standby fails
with 25006. TRUNCATE locks the table, so a short lock_timeout keeps two probes (two servers
on one database) from waiting on each other: the one that finds the lock taken says so.
"""

from __future__ import annotations

import errno
import os
import sqlite3
from pathlib import Path

from eventsourcing.postgres import PostgresDatastore
from psycopg import errors, sql

from ledger.store.factories import limit_pages

PROBE_TABLE = "ledger_health_probe"
CONNECTION_WAIT = 0.45  # seconds the PostgreSQL probe waits for a connection of the pool
PROBE_LOCK_WAIT = 0.3  # seconds a probe waits for another writer's (or probe's) lock


def probe_table_statement(schema: str) -> sql.Composed:
    """The probe table, created with the ledger's schema (and, in the probe's rolled-back
    transaction, on a database made before the probe existed)."""
    return sql.SQL("CREATE TABLE IF NOT EXISTS {} (probe integer)").format(
        sql.Identifier(schema, PROBE_TABLE)
    )


def postgres_writable(datastore: PostgresDatastore) -> str:
    table = sql.Identifier(datastore.schema, PROBE_TABLE)
    with datastore.pool.connection(timeout=CONNECTION_WAIT) as connection:
        try:
            with connection.transaction(force_rollback=True):
                wait = f"{round(PROBE_LOCK_WAIT * 1000)}ms"
                connection.execute(sql.SQL("SET LOCAL lock_timeout = {}").format(wait))
                connection.execute(probe_table_statement(datastore.schema))
                connection.execute(sql.SQL("TRUNCATE {}").format(table))
                connection.execute(sql.SQL("INSERT INTO {} VALUES (1)").format(table))
        except errors.LockNotAvailable:
            return "busy: another probe holds the probe table (not probed)"
    return "a new block was written, and rolled back"


def sqlite_writable(name: str, max_page_count: int) -> str:
    if name == ":memory:" or "mode=memory" in name:
        return "in memory"
    if not name.startswith("file:"):
        free = os.statvfs(Path(name).resolve().parent)
        if free.f_bavail == 0:
            raise OSError(errno.ENOSPC, f"no space left on the file system of {name}")
    connection = sqlite3.connect(name, uri=True, timeout=PROBE_LOCK_WAIT, isolation_level=None)
    try:
        limit_pages(connection, max_page_count)
        size = int(connection.execute("PRAGMA page_size").fetchone()[0])
        try:
            connection.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as error:
            if "locked" in str(error) or "busy" in str(error):
                return "busy: another writer holds the lock (not probed)"
            raise
        try:
            connection.execute("CREATE TABLE ledger_health_probe (filler BLOB)")
            connection.execute("INSERT INTO ledger_health_probe VALUES (zeroblob(?))", (2 * size,))
        finally:
            if connection.in_transaction:  # SQLITE_FULL may have rolled it back already
                connection.execute("ROLLBACK")
    finally:
        connection.close()
    return "the database may grow"
