"""Scratch space on disk for a command that reads a large file: a temporary SQLite database.

SQLite's page cache bounds the memory whatever the file's size. The database holds only the
command's working data, never the ledger's, and goes with its directory when the `with` ends,
also on an error.
"""

from __future__ import annotations

import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def scratch_sqlite(prefix: str, schema: str) -> Iterator[sqlite3.Connection]:
    """A fresh database with `schema`, in one transaction that is never committed."""
    with tempfile.TemporaryDirectory(prefix=prefix) as directory:
        db = sqlite3.connect(Path(directory) / "scratch.db", isolation_level=None)
        try:
            db.executescript("PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;" + schema)
            db.execute("BEGIN")
            yield db
        finally:
            db.close()
