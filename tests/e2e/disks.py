"""Disks that a test can fill and free, under a running ledger (tests/e2e/test_full_disk.py).

- `sqlite-tmpfs`: a SQLite file on a small tmpfs, filled by a file written next to it.
- `postgres-tmpfs`: a database of the session's PostgreSQL in a tablespace on a small tmpfs
  (the ledger's tables live there; the server's WAL stays on its own disk), filled the same
  way: the test's file, deleted to free the space.
- `sqlite-page-limit`: a SQLite file that may not grow past a page count (the test-only
  LEDGER_TEST_SQLITE_MAX_PAGE_COUNT), filled with a table of its own and freed by dropping it.

Mounting needs root: without it the tmpfs disks skip, saying why. Everything a disk made is
dropped and unmounted afterwards, also when the test failed.
"""

from __future__ import annotations

import errno
import os
import pwd
import shutil
import sqlite3
import subprocess
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from ledger.storage.factories import MAX_PAGE_COUNT_HOOK
from localservers.postgres import PostgresServer

from .support import Ledger

ROOM_PAGES = 400  # pages the page-limited file may grow by before the test fills it


@dataclass
class Disk:
    url: str
    env: dict[str, str]  # for every process that opens the database
    fill: Callable[[], None]
    free: Callable[[], None]


@contextmanager
def tmpfs(size: str, owner: str | None = None) -> Iterator[Path]:
    """A tmpfs of `size` (mount's `size=`) on a fresh directory under /tmp, owned by `owner`
    (the user the PostgreSQL server runs as: the test's own directories are root's alone)."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root (the page-limit disk runs instead)")
    mount = Path(tempfile.mkdtemp(prefix="ledger-disk-", dir="/tmp"))
    mount.chmod(0o755)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        mount.rmdir()
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        give(mount, owner)
        yield mount
    finally:
        if subprocess.run(["umount", str(mount)], check=False).returncode != 0:
            subprocess.run(["umount", "-l", str(mount)], check=False)
        shutil.rmtree(mount, ignore_errors=True)


def give(path: Path, owner: str | None) -> None:
    """`path` belongs to `owner` (None: it stays the test's)."""
    if owner is not None:
        entry = pwd.getpwnam(owner)
        os.chown(path, entry.pw_uid, entry.pw_gid)


def fill_file(path: Path) -> None:
    """Write `path` until its file system has no block left."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        for size in (1 << 20, 1 << 16, 4096, 512, 1):
            chunk = b"\0" * size
            while True:
                try:
                    if os.write(descriptor, chunk) < size:
                        break
                except OSError as error:
                    assert error.errno == errno.ENOSPC, error
                    break
    finally:
        os.close(descriptor)
    assert os.statvfs(path.parent).f_bavail == 0


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
    with tmpfs("8m", owner=server.system_user) as mount:
        space, filler = mount / "tablespace", mount / "filler"
        space.mkdir()
        give(space, server.system_user)
        name = f"disk_{uuid.uuid4().hex[:16]}"
        with _in_tablespace(server, name, space) as url:
            yield Disk(url, {}, lambda: fill_file(filler), filler.unlink)


@contextmanager
def _in_tablespace(server: PostgresServer, name: str, location: Path) -> Iterator[str]:
    """A tablespace at `location` and a database `name` in it; both dropped afterwards."""
    tablespace, database = sql.Identifier(name), sql.Identifier(name)
    with psycopg.connect(server.get_uri(), autocommit=True) as admin:
        admin.execute(
            sql.SQL("CREATE TABLESPACE {} LOCATION {}").format(
                tablespace, sql.Literal(str(location))
            )
        )
        try:
            admin.execute(sql.SQL("CREATE DATABASE {} TABLESPACE {}").format(database, tablespace))
            try:
                yield server.get_uri(name)
            finally:
                admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(database))
        finally:
            admin.execute(sql.SQL("DROP TABLESPACE IF EXISTS {}").format(tablespace))


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
