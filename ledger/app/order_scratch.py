"""The order ids a file has named so far, on disk (see `ledger.input_files.scratch`), so
that checking a file of any size for rows that contradict each other keeps memory flat."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

from ledger.input_files.scratch import scratch_sqlite

SCHEMA = "CREATE TABLE seen (order_id TEXT PRIMARY KEY, line INT, facts TEXT) WITHOUT ROWID;"


@contextmanager
def seen_orders() -> Iterator[SeenOrders]:
    with scratch_sqlite("ledger-import-", SCHEMA) as db:
        yield SeenOrders(db)


class SeenOrders:
    """`first(order_id, line, facts)`: None the first time an order id is seen (and it is
    remembered), else the line and facts of its first row."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def first(self, order_id: str, line: int, facts: str) -> tuple[int, str] | None:
        inserted = self._db.execute(
            "INSERT OR IGNORE INTO seen VALUES (?, ?, ?)", (order_id, line, facts)
        )
        if inserted.rowcount:
            return None
        found = self._db.execute(
            "SELECT line, facts FROM seen WHERE order_id = ?", (order_id,)
        ).fetchone()
        return int(found[0]), str(found[1])
