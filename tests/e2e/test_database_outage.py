"""PostgreSQL stopped under a running `ledger serve`: /healthz says so at once, commands fail
within the connect timeout (503 over HTTP, exit 4 from the CLI), and once PostgreSQL is back
the server recovers by itself, with nothing acknowledged lost. PostgreSQL read-only: writes
exit 4 naming it, reads answer from the views as they stand.

Before: /healthz waited for the pool's 10 s timeout, and every command 10 s or more (the
library retries a pool timeout ten times)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import psycopg
import pytest
from psycopg import sql
from waiting import PATIENCE

from localservers.postgres import (
    PostgresServer,
    create_database,
    restart_postgres,
    running_postgres,
    stop_postgres,
)

from .http_paths import assert_problem, fresh_request, post
from .http_support import running_server
from .support import Ledger, clean_env, request_args, stored_event_count

pytestmark = pytest.mark.postgres
CONNECT_TIMEOUT = "2"
OLD_WAIT = 10.0  # seconds the pool made everyone wait before
RECOVERY_SECONDS = PATIENCE  # "by itself", not "within": a bound for a stalled machine


@pytest.fixture
def private_postgres() -> Iterator[PostgresServer]:
    """A server of this test's own: stopping the session's would fail other tests."""
    with running_postgres() as server:
        yield server


def timed(call: Callable[[], httpx.Response]) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    response = call()
    return response, time.monotonic() - started


def test_a_stopped_postgres_is_named_at_once_and_the_server_recovers_by_itself(
    private_postgres: PostgresServer, tmp_path: Path
) -> None:
    name = f"test_{uuid.uuid4().hex[:16]}"
    create_database(private_postgres.get_uri(), name)
    url = private_postgres.get_uri(name)
    env = {"LEDGER_DB_CONNECT_TIMEOUT": CONNECT_TIMEOUT}
    ledger = Ledger(url, tmp_path)
    with running_server(url, tmp_path, env=env) as server, server.client("agent:ann") as agent:
        kept = post(agent, "/refunds", fresh_request(), 201)["id"]
        stop_postgres(private_postgres)
        try:
            health, health_seconds = timed(lambda: agent.get("/healthz"))
            command, command_seconds = timed(lambda: agent.post("/refunds", json=fresh_request()))
            again, again_seconds = timed(lambda: agent.post("/refunds", json=fresh_request()))
            later, later_seconds = timed(lambda: agent.get("/healthz"))
            started = time.monotonic()
            cli = ledger.run("request", *request_args(), env=clean_env(**env))
            cli_seconds = time.monotonic() - started
        finally:
            restart_postgres(private_postgres)

        for response, seconds in ((health, health_seconds), (later, later_seconds)):
            body = assert_problem(response, 503, "database-unavailable")
            assert body["failed"] == "database", body
            assert body["checks"][0]["name"] == "database" and not body["checks"][0]["ok"]
            assert seconds < OLD_WAIT / 2, seconds  # answered within 1 s but for a loaded box
        for response, seconds in ((command, command_seconds), (again, again_seconds)):
            body = assert_problem(response, 503, "database-unavailable")
            assert "cannot be reached" in body["detail"], body
            assert seconds < float(CONNECT_TIMEOUT) + 4, seconds  # the connect timeout, + slack
        assert cli.code == 4, cli.describe()
        assert cli.stderr.startswith("error: the database cannot be reached"), cli.describe()
        assert cli.stderr.count("\n") == 1, cli.describe()
        assert cli_seconds < OLD_WAIT * 1.5, cli_seconds  # a process start, and one wait

        assert _healthy_within(agent, RECOVERY_SECONDS), server.log_text()
        assert server.process.poll() is None  # recovered without a restart
        added = post(agent, "/refunds", fresh_request(), 201)["id"]
        listed = agent.get("/refunds")
        assert listed.status_code == 200 and listed.headers["x-view-lag"] == "0"
        assert {kept, added} <= {row["id"] for row in listed.json()}
        assert "Traceback" not in server.log_text()


def _healthy_within(client: httpx.Client, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if client.get("/healthz").status_code == 200:
            return True
        time.sleep(0.2)
    return False


def test_a_read_only_postgres_refuses_writes_with_exit_4_and_reads_answer_from_the_views(
    postgres_server: PostgresServer, postgres_url: str, tmp_path: Path
) -> None:
    ledger = Ledger(postgres_url, tmp_path)
    kept = ledger.request()["id"]
    assert ledger.ok("projections", "status")  # the views exist, and have seen nothing yet
    stored = stored_event_count(postgres_url)
    _read_only(postgres_server, postgres_url, True)
    try:
        refused = ledger.run("request", *request_args(order="O-2"))
        listed = ledger.run("list", "--json")
    finally:
        _read_only(postgres_server, postgres_url, False)

    assert refused.code == 4, refused.describe()
    assert refused.stderr == (
        "error: the database is read-only (cannot execute INSERT in a read-only transaction)\n"
    )
    assert listed.code == 0, listed.describe()
    assert listed.json() == []
    assert listed.stderr.startswith(f"note: the views are {stored} event(s) behind"), listed.stderr
    assert stored_event_count(postgres_url) == stored
    assert [row["id"] for row in ledger.ok("list")] == [kept]


def _read_only(server: PostgresServer, url: str, on: bool) -> None:
    """New sessions of the test's database are read-only (or not)."""
    name = urlsplit(url).path.lstrip("/")
    with psycopg.connect(server.get_uri(), autocommit=True) as connection:
        connection.execute(
            sql.SQL("ALTER DATABASE {} SET default_transaction_read_only = {}").format(
                sql.Identifier(name), sql.SQL("on" if on else "off")
            )
        )
