"""A scratch table on disk of the order ids a file has named so far: flat memory, whatever
the file's size (a temporary SQLite database, removed when done)."""

from __future__ import annotations

import sqlite3
import tempfile
from pathlib import Path
from types import TracebackType


class SeenOrders:
    """`first(order_id, line, facts)`: None the first time an order id is seen (and it is
    remembered), else the line and facts of its first row."""

    def __init__(self) -> None:
        self._directory = tempfile.TemporaryDirectory(prefix="ledger-import-")
        self._db = sqlite3.connect(Path(self._directory.name) / "seen.db")
        self._db.execute("PRAGMA journal_mode = OFF")
        self._db.execute("PRAGMA synchronous = OFF")
        self._db.execute("CREATE TABLE seen (order_id TEXT PRIMARY KEY, line INT, facts TEXT)")

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

    def __enter__(self) -> SeenOrders:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._db.close()
        self._directory.cleanup()
