"""Fixtures of the end-to-end tests: the installed `ledger` command on each back end."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from .http_paths import BACKEND_IDS, BACKEND_PARAMS, module_database
from .http_support import Server, running_server
from .support import Ledger


@pytest.fixture
def ledger(database_url: str, tmp_path: Path) -> Ledger:
    """The installed `ledger` command on a fresh database of the parametrised back end."""
    workdir = tmp_path / "cwd"  # apart from the sqlite_url file, to catch a default ledger.db
    workdir.mkdir()
    return Ledger(database_url, workdir)


@pytest.fixture(scope="session", params=BACKEND_PARAMS, ids=BACKEND_IDS)
def http_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    """One `ledger serve` per back end for the HTTP path tests of a session (per xdist worker):
    starting servers is the slow part. The tests that share it work on refunds of their own."""
    workdir = tmp_path_factory.mktemp("http")
    with running_server(module_database(request, workdir), workdir) as running:
        yield running
