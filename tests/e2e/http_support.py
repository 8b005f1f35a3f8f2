"""A real `ledger serve` for the HTTP tests: a uvicorn process on a free loopback port.

The server is started as a user would start it (`ledger --db URL serve --port 0`), and the
port it bound is read from its log. The log is read from the server's pipe as it comes (and
kept in a file), so a test waits for a line itself, not for a while. Tokens are issued
straight into the same database through the token store, which is what `ledger tokens issue`
does (its own tests cover the command).
"""

from __future__ import annotations

import re
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from waiting import PATIENCE

from ledger.app.tokens import Tokens
from ledger.bootstrap import bootstrap
from ledger.config import Settings
from ledger.domain.actor import Actor
from ledger.store.tracking import open_store
from localservers.process import stop

from .process_log import ProcessLog
from .support import LEDGER, clean_env

START_SECONDS = PATIENCE
_LISTENING = re.compile(r"Uvicorn running on http://127\.0\.0\.1:(\d+)")

#: A request body that is verified at once (no goods come back) and approved automatically.
SMALL_REQUEST: dict[str, Any] = {
    "order_id": "O-1",
    "customer_id": "C-1",
    "amount": "30.00",
    "currency": "EUR",
    "order_total": "250.00",
    "reason": "billing_error",
}


@dataclass
class Server:
    """One running `ledger serve`, its database and its log."""

    base_url: str
    database_url: str
    process: subprocess.Popen[bytes]
    output: ProcessLog
    _tokens: dict[str, str] = field(default_factory=dict)

    @property
    def log(self) -> Path:
        """The file the server's output is copied to."""
        return self.output.path

    def token(self, actor: str, expires_in_days: int | None = 30) -> str:
        """A fresh bearer token for `actor` (cached per actor for the default expiry)."""
        if expires_in_days == 30 and actor in self._tokens:
            return self._tokens[actor]
        with self._store(lambda: datetime.now(UTC)) as store:
            issued = store.issue(Actor.parse(actor), expires_in_days)
        if expires_in_days == 30:
            self._tokens[actor] = issued.token
        return issued.token

    def expired_token(self, actor: str) -> str:
        """A token that expired a day ago (issued by a clock two days behind)."""
        ago = datetime.now(UTC) - timedelta(days=2)
        with self._store(lambda: ago) as store:
            return store.issue(Actor.parse(actor), 1).token

    def revoked_token(self, actor: str) -> str:
        with self._store(lambda: datetime.now(UTC)) as store:
            issued = store.issue(Actor.parse(actor), 30)
            store.revoke(issued.id)
            return issued.token

    def client(self, actor: str | None = None, token: str | None = None) -> httpx.Client:
        """An HTTP client on the server, authenticated as `actor` (or with `token`)."""
        bearer = token if token is not None else (None if actor is None else self.token(actor))
        headers = {} if bearer is None else {"Authorization": f"Bearer {bearer}"}
        return httpx.Client(base_url=self.base_url, headers=headers, timeout=30)

    def log_text(self) -> str:
        return self.output.text()

    def wait_for_log(self, found: Callable[[str], object]) -> str:
        """The log, once `found(log)` holds (or the server's output ended): see ProcessLog."""
        return self.output.wait_for(found)

    def log_lines(self, *wanted: str, count: int = 1) -> list[str]:
        """The complete lines of the log, once `count` of them hold each of `wanted` (a
        request's line is written as its answer leaves, so it may trail the answer)."""

        def ready(text: str) -> bool:
            lines = complete_lines(text)
            return all(sum(word in line for line in lines) >= count for word in wanted)

        return complete_lines(self.wait_for_log(ready))

    @contextmanager
    def _store(self, clock: Callable[[], datetime]) -> Iterator[Tokens]:
        app = bootstrap(Settings(database_url=self.database_url)).ledger
        try:
            yield Tokens(app, open_store(app), clock)
        finally:
            app.close()


def complete_lines(text: str) -> list[str]:
    """The lines of `text` that have ended (without their newline): not one still written."""
    return text.split("\n")[:-1]


@contextmanager
def running_server(
    database_url: str, workdir: Path, *args: str, env: dict[str, str] | None = None
) -> Iterator[Server]:
    """Start `ledger --db URL serve --port 0 ARGS...`, wait until it answers, stop it after."""
    process = subprocess.Popen(
        [*LEDGER, "--db", database_url, "serve", "--port", "0", *args],
        cwd=workdir,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=clean_env(**(env or {})),
    )
    assert process.stdout is not None
    output = ProcessLog(process.stdout, workdir / f"serve-{time.monotonic_ns()}.log")
    try:
        server = Server(_wait_for_port(process, output), database_url, process, output)
        _wait_healthy(server)
        yield server
    finally:
        stop(process, 15)
        output.close()


def _wait_for_port(process: subprocess.Popen[bytes], output: ProcessLog) -> str:
    """The server's address, read from the line uvicorn logs once it listens."""
    found = _LISTENING.search(output.wait_for(_LISTENING.search))
    if found:
        return f"http://127.0.0.1:{found.group(1)}"
    if process.poll() is not None:
        raise RuntimeError(f"ledger serve exited {process.returncode}:\n{output.text()}")
    raise RuntimeError(f"ledger serve did not start in {START_SECONDS}s:\n{output.text()}")


def _wait_healthy(server: Server) -> None:
    deadline = time.monotonic() + START_SECONDS
    with server.client() as client:
        while time.monotonic() < deadline:
            try:
                if client.get("/healthz").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.05)
    raise RuntimeError(f"ledger serve never became healthy:\n{server.log_text()}")


def last_event_id(database_url: str) -> int:
    """The id of the newest stored event (unchanged: a refused request stored nothing)."""
    with event_log(database_url) as newest:
        return newest()


@contextmanager
def event_log(database_url: str) -> Iterator[Callable[[], int]]:
    """`last_event_id` for many calls: one application stays open, so each call is a query
    rather than a bootstrap (on PostgreSQL about 50 ms less)."""
    app = bootstrap(Settings(database_url=database_url)).ledger
    try:
        yield lambda: app.recorder.max_notification_id() or 0
    finally:
        app.close()
