"""A scratch database for one reconciliation: the file's side, held on disk, not in memory.

A temporary SQLite database (in a temporary directory under TMPDIR, removed on close) keeps
the file's entries by line, the first line of each reference (to find the duplicates), and
the report's findings by section, each as the line of its entry and the index of its ledger
payout. SQLite's page cache bounds the memory, whatever the file's size. It holds only this
run's working data; the ledger's own database is never touched here.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from decimal import Decimal
from typing import Any

from ledger.input_files.scratch import scratch_sqlite
from ledger.reconcile.settlements import Entry, Malformed, SettlementRow

BATCH = 1000
_SCHEMA = """
CREATE TABLE reference (name TEXT PRIMARY KEY, line INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE entry (line INTEGER PRIMARY KEY, reference TEXT, amount TEXT, currency TEXT,
    status TEXT, settled_at TEXT, reason TEXT);
CREATE TABLE found (section TEXT NOT NULL, seq INTEGER NOT NULL, line INTEGER, payout INTEGER,
    PRIMARY KEY (section, seq)) WITHOUT ROWID;
"""
_ENTRY = "INSERT INTO entry VALUES (?, ?, ?, ?, ?, ?, ?)"
_ENTRIES = "SELECT * FROM entry ORDER BY line"
_FOUND = (
    "SELECT found.payout, entry.* FROM found LEFT JOIN entry ON entry.line = found.line "
    "WHERE found.section = ? ORDER BY found.seq"
)


@contextmanager
def scratch_database() -> Iterator[Scratch]:
    """A fresh scratch database, removed with its directory when the `with` ends."""
    with scratch_sqlite("ledger-reconcile-", _SCHEMA) as db:
        yield Scratch(db)


class Scratch:
    """Load the entries, tally them into findings, read those back."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db
        self._pending: list[tuple[str, int, int | None, int | None]] = []
        self._seq = 0

    def first_line(self, reference: str, line: int) -> int:
        """The line `reference` was first seen on; `line` (now recorded) when it is new."""
        added = self._db.execute(
            "INSERT OR IGNORE INTO reference (name, line) VALUES (?, ?)", (reference, line)
        )
        if added.rowcount:
            return line
        (first,) = self._db.execute(
            "SELECT line FROM reference WHERE name = ?", (reference,)
        ).fetchone()
        return int(first)

    def load(self, entries: Iterable[Entry]) -> None:
        """Keep every entry, in file order."""
        batch: list[tuple[Any, ...]] = []
        for entry in entries:
            batch.append(_entry_row(entry))
            if len(batch) >= BATCH:
                self._db.executemany(_ENTRY, batch)
                batch.clear()
        self._db.executemany(_ENTRY, batch)

    def entries(self) -> Iterator[Entry]:
        """The entries `load` kept, in file order."""
        for row in self._db.execute(_ENTRIES):
            yield _entry(row)

    def add(self, section: str, entry: Entry | None, payout: int | None) -> None:
        self._seq += 1
        self._pending.append((section, self._seq, None if entry is None else entry.line, payout))
        if len(self._pending) >= BATCH:
            self._flush()

    def found(self, section: str) -> Iterator[tuple[Entry | None, int | None]]:
        self._flush()
        for payout, *entry in self._db.execute(_FOUND, (section,)):
            yield (None if entry[0] is None else _entry(tuple(entry))), payout

    def _flush(self) -> None:
        self._db.executemany("INSERT INTO found VALUES (?, ?, ?, ?)", self._pending)
        self._pending.clear()


def _entry_row(entry: Entry) -> tuple[Any, ...]:
    if isinstance(entry, Malformed):
        return (entry.line, entry.reference, None, None, None, None, entry.reason)
    settled = None if entry.settled_at is None else entry.settled_at.isoformat()
    return (entry.line, entry.reference, str(entry.amount), entry.currency, entry.status,
            settled, None)  # fmt: skip


def _entry(row: tuple[Any, ...]) -> Entry:
    line, reference, amount, currency, status, settled_at, reason = row
    if reason is not None:
        return Malformed(line, reason, reference)
    settled = None if settled_at is None else datetime.fromisoformat(settled_at)
    return SettlementRow(line, reference, Decimal(amount), currency, status, settled)
