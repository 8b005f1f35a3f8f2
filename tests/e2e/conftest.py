"""Fixtures of the end-to-end tests: the installed `ledger` command on each back end."""

from __future__ import annotations

from pathlib import Path

import pytest

from .support import Ledger


@pytest.fixture
def ledger(database_url: str, tmp_path: Path) -> Ledger:
    """The installed `ledger` command on a fresh database of the parametrised back end."""
    workdir = tmp_path / "cwd"  # apart from the sqlite_url file, to catch a default ledger.db
    workdir.mkdir()
    return Ledger(database_url, workdir)
