"""A pending `Idempotency-Key` names the server process that holds it: a retry of a key whose
server was killed runs at once; a live server's key answers 409 with `Retry-After`.

A second `ledger serve` on the session server's database runs with the test hook
LEDGER_TEST_HOLD_AFTER_RESERVE, which holds each request after its key is reserved (and
before its command runs) until a file appears: the key is pending for as long as the test
wants, in a process the test may kill.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from psycopg import sql

from api.idempotency import HOLD_HOOK
from ledger.bootstrap import bootstrap
from ledger.config import Settings
from ledger.store.owners import Owner
from ledger.store.replays import TABLE
from ledger.store.tracking import open_store

from .http_paths import assert_problem, fresh, fresh_request, get
from .http_support import START_SECONDS, Server, last_event_id, running_server
from integration.replay_support import released


@pytest.fixture
def server(http_server: Server) -> Server:
    """The session's server on each back end in turn: the other live process."""
    return http_server


@contextmanager
def holding_server(server: Server, workdir: Path) -> Iterator[tuple[Server, Path]]:
    """A second server on `server`'s database that holds reserved requests until the file
    it yields exists."""
    release = workdir / "release"
    with running_server(server.database_url, workdir, env={HOLD_HOOK: str(release)}) as held:
        yield held, release


def send(pool: ThreadPoolExecutor, client: httpx.Client, key: str, body: Any) -> Future[Any]:
    """POST /refunds with `key` from a thread of `pool` (the server will hold it)."""
    return pool.submit(client.post, "/refunds", json=body, headers={"Idempotency-Key": key})


def keyed(client: httpx.Client, key: str, body: Any) -> httpx.Response:
    return client.post("/refunds", json=body, headers={"Idempotency-Key": key})


def wait_until_held(held: Server, key: str) -> None:
    """Until the server's log says the request with `key` is held (its key pending)."""
    line = f"holding Idempotency-Key {key!r}"
    log = held.wait_for_log(lambda text: line in text)
    assert line in log, f"the request was never held (server exit {held.process.poll()}):\n{log}"


def pending_owner(database_url: str, key: str) -> Owner | None:
    """The owner named by the pending row of `key` (None: no pending row names one)."""
    app = bootstrap(Settings(database_url=database_url)).ledger
    try:
        with open_store(app).reading() as db:
            rows = db.rows(
                sql.SQL(
                    "SELECT owner FROM {} WHERE idempotency_key = %s AND completed_at IS NULL"
                ).format(sql.Identifier(TABLE)),
                (key,),
            )
    finally:
        app.close()
    return Owner.loads(rows[0]["owner"]) if rows and rows[0]["owner"] else None


def test_a_retry_after_the_server_holding_the_key_was_killed_runs_at_once(
    server: Server, tmp_path: Path
) -> None:
    body, key = fresh_request(), fresh("K")
    with holding_server(server, tmp_path) as (held, _), ThreadPoolExecutor(1) as pool:
        with held.client("agent:ann") as agent:
            lost = send(pool, agent, key, body)
            wait_until_held(held, key)
            os.kill(held.process.pid, signal.SIGKILL)
            held.process.wait()
            with pytest.raises(httpx.TransportError):
                lost.result(timeout=START_SECONDS)
    owner = pending_owner(server.database_url, key)
    assert owner is not None and owner.pid == held.process.pid  # the key is left pending
    released(server.database_url, owner.pid)  # PostgreSQL has seen its connection close
    stored = last_event_id(server.database_url)

    with server.client("agent:ann") as agent:
        retry = keyed(agent, key, body)  # seconds after the kill, well before the old 60 s
        again = keyed(agent, key, body)
        listed = get(agent, "/refunds", customer=body["customer_id"])

    assert retry.status_code == 201, retry.text
    assert "idempotent-replayed" not in retry.headers
    assert (again.status_code, again.content) == (201, retry.content)
    assert again.headers["idempotent-replayed"] == "true"
    assert [row["id"] for row in listed] == [retry.json()["id"]]
    assert last_event_id(server.database_url) > stored


def test_a_retry_while_the_server_holding_the_key_lives_is_409_with_retry_after(
    server: Server, tmp_path: Path
) -> None:
    body, key = fresh_request(), fresh("K")
    with holding_server(server, tmp_path) as (held, release), ThreadPoolExecutor(1) as pool:
        with held.client("agent:ann") as agent, held.client("agent:ann") as same:
            first = send(pool, agent, key, body)
            wait_until_held(held, key)
            stored = last_event_id(server.database_url)
            with server.client("agent:ann") as other:
                busy = [keyed(same, key, body), keyed(other, key, body)]  # this and another process

            for answer in busy:
                problem = assert_problem(answer, 409, "idempotency-in-progress")
                assert answer.headers["retry-after"] == "1"
                assert key in problem["detail"] and "retry in 1 s" in problem["detail"]
            assert last_event_id(server.database_url) == stored
            assert pending_owner(server.database_url, key) is not None

            release.touch()
            answered = first.result(timeout=START_SECONDS)
    with server.client("agent:ann") as other:
        replayed = keyed(other, key, body)

    assert answered.status_code == 201, answered.text
    assert (replayed.status_code, replayed.content) == (201, answered.content)
    assert replayed.headers["idempotent-replayed"] == "true"
