"""Fixtures of the in-process CLI tests: each run opens the database afresh, as a process
would, so only back ends a store outlives (an SQLite file, PostgreSQL) will do."""

from __future__ import annotations

from pathlib import Path

import pytest

from ..in_process import Ledger

CLI_BACKENDS = ("sqlite", "postgres")  # tests/conftest.py BACKENDS


@pytest.fixture(params=CLI_BACKENDS, ids=CLI_BACKENDS)
def database_url(request: pytest.FixtureRequest) -> str:
    """A fresh database on each back end in turn (ids: sqlite, postgres): a run's store must
    be there for the next run to read."""
    return str(request.getfixturevalue(f"{request.param}_url"))


@pytest.fixture
def ledger(database_url: str, tmp_path: Path) -> Ledger:
    """The `ledger` CLI, run in-process, on a fresh database of the parametrised back end."""
    workdir = tmp_path / "cwd"  # apart from the sqlite_url file, to catch a default ledger.db
    workdir.mkdir()
    return Ledger(database_url, workdir)


@pytest.fixture
def on_sqlite(sqlite_url: str, tmp_path: Path) -> Ledger:
    """The CLI, run in-process, on a fresh SQLite file only (for what either back end refuses
    alike, before or without the store)."""
    workdir = tmp_path / "cwd"
    workdir.mkdir()
    return Ledger(sqlite_url, workdir)
