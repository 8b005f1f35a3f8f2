"""Disks that a test can fill and free, under a running ledger (tests/e2e/test_full_disk.py).

- `sqlite-tmpfs`: a SQLite file on a small tmpfs, filled by a file written next to it.
- `postgres-tmpfs`: a database of the session's PostgreSQL in a tablespace on a small tmpfs
  (the ledger's tables live there; the server's WAL stays on its own disk), filled the same
  way: the test's file, deleted to free the space.
- `sqlite-page-limit`: a SQLite file that may not grow past a page count (the test-only
  LEDGER_TEST_SQLITE_MAX_PAGE_COUNT), filled with a table of its own and freed by dropping it.

Mounting needs root: without it the tmpfs disks skip, saying why (tests/disk_support.py).
Everything a disk made is dropped and unmounted afterwards, also when the test failed.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from disk_support import fill_file, postgres_on_tmpfs, tmpfs

from ledger.store.factories import MAX_PAGE_COUNT_HOOK
from localservers.postgres import PostgresServer

from .support import Ledger

ROOM_PAGES = 400  # pages the page-limited file may grow by before the test fills it


@dataclass
class Disk:
    url: str
    env: dict[str, str]  # for every process that opens the database
    fill: Callable[[], None]
    free: Callable[[], None]


def sqlite_tmpfs_disk() -> Iterator[Disk]:
    with tmpfs("16m") as mount:
        database, filler = mount / "ledger.db", mount / "filler"

        def fill() -> None:
            _checkpoint(database)  # the WAL starts empty: the next commit must grow it
            fill_file(filler)

        yield Disk(f"sqlite:///{database}", {}, fill, filler.unlink)


def _checkpoint(database: Path) -> None:
    with sqlite3.connect(database, timeout=10, isolation_level=None) as connection:
        busy, _, _ = connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    connection.close()
    assert busy == 0


def postgres_tmpfs_disk(server: PostgresServer) -> Iterator[Disk]:
    with postgres_on_tmpfs(server) as (url, filler):
        yield Disk(url, {}, lambda: fill_file(filler), filler.unlink)


def page_limited_disk(tmp_path: Path) -> Iterator[Disk]:
    database = tmp_path / "ledger.db"
    url = f"sqlite:///{database}"
    made = Ledger(url, tmp_path).run("projections", "status")  # the schema, before the limit
    assert made.code == 0, made.describe()
    limit = _pages(database) + ROOM_PAGES

    def fill() -> None:
        connection = sqlite3.connect(database, timeout=10, isolation_level=None)
        try:
            connection.execute(f"PRAGMA max_page_count = {limit}")
            connection.execute("CREATE TABLE test_filler (filler BLOB)")
            for size in (1 << 16, 4000, 1000, 100):
                while True:
                    try:
                        connection.execute("INSERT INTO test_filler VALUES (zeroblob(?))", (size,))
                    except sqlite3.OperationalError as error:
                        assert "full" in str(error), error
                        break
        finally:
            connection.close()

    def free() -> None:
        connection = sqlite3.connect(database, timeout=10, isolation_level=None)
        try:
            connection.execute("DROP TABLE test_filler")  # its pages are free for reuse
        finally:
            connection.close()

    yield Disk(url, {MAX_PAGE_COUNT_HOOK: str(limit)}, fill, free)


def _pages(database: Path) -> int:
    connection = sqlite3.connect(database)
    try:
        return int(connection.execute("PRAGMA page_count").fetchone()[0])
    finally:
        connection.close()
