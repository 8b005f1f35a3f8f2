"""Disks a test can fill: a small tmpfs it mounts (as root), and a PostgreSQL database in a
tablespace on one (its tables live there; the server's WAL stays on the server's own disk).

Without root the mount skips the test, saying why. What was made is dropped and unmounted
afterwards, also when the test failed.
"""

from __future__ import annotations

import errno
import os
import pwd
import random
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from localservers.postgres import PostgresServer

_RANDOM = random.Random(13)
# 2,000 characters, 6 KB stored that no compression shrinks (PostgreSQL compresses a long
# value before storing it): a note that must have new pages, wherever it lands
LONG_NOTE = "".join(chr(_RANDOM.randrange(0x4E00, 0x9FA0)) for _ in range(2000))


@contextmanager
def tmpfs(size: str, owner: str | None = None) -> Iterator[Path]:
    """A tmpfs of `size` (mount's `size=`) on a fresh directory under /tmp, owned by `owner`
    (the user the PostgreSQL server runs as: the test's own directories are root's alone)."""
    if os.geteuid() != 0:
        pytest.skip("a full disk on a tmpfs needs root to mount it (not root here)")
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


@contextmanager
def database_in_tablespace(server: PostgresServer, name: str, location: Path) -> Iterator[str]:
    """A tablespace at `location` (an empty directory the server's user owns) and a database
    `name` in it; its URL. Both dropped afterwards (the database's sessions ended first)."""
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


@contextmanager
def postgres_on_tmpfs(server: PostgresServer, size: str = "8m") -> Iterator[tuple[str, Path]]:
    """A fresh database of `server` in a tablespace on a tmpfs of `size`: its URL, and the
    path of a file (not yet written) that `fill_file` fills the tmpfs with."""
    with tmpfs(size, owner=server.system_user) as mount:
        space = mount / "tablespace"
        space.mkdir()
        give(space, server.system_user)
        name = f"disk_{uuid.uuid4().hex[:16]}"
        with database_in_tablespace(server, name, space) as url:
            yield url, mount / "filler"
