"""What the tests of the `Idempotency-Key` store share: two actors, two request fingerprints
and a response; owners elsewhere, and owners in processes of their own that die by SIGKILL.

`owner_process` starts a Python process that opens a ReplayStore on the database, reserves
the keys and holds them until it is killed. `kill` kills it with SIGKILL and returns once it
is dead but not yet reaped (a zombie, as a server whose parent has not looked yet).
`released` waits until PostgreSQL has noticed that a dead process's connections are gone
(the server does at once, but in a process of its own): a condition, not a sleep.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

import psycopg
from waiting import PATIENCE

from ledger.store.owners import Owner
from ledger.store.replays import StoredResponse, fingerprint

BOB, MIA = "manager:bob", "manager:mia"
FIRST = fingerprint("POST", "/refunds", b'{"order_id": "O-1", "amount": "30.00"}')
OTHER = fingerprint("POST", "/refunds", b'{"order_id": "O-1", "amount": "31.00"}')
CREATED = StoredResponse(
    status=201,
    headers=(("content-type", "application/json"), ("location", "/refunds/r-1")),
    body=b'{"id": "r-1", "status": "requested"}\n\x00\xff',  # bytes kept as they are
)

CHILD = """
import sys
from datetime import datetime

from ledger.bootstrap import bootstrap
from ledger.config import Settings
from ledger.store.replays import ReplayStore, Reserved
from ledger.store.tracking import open_store

url, at, scope, fingerprint, *keys = sys.argv[1:]
app = bootstrap(Settings(database_url=url), clock=lambda: datetime.fromisoformat(at)).ledger
replays = ReplayStore(open_store(app), app.clock)
for key in keys:
    outcome = replays.reserve(scope, key, fingerprint)
    assert isinstance(outcome, Reserved), (key, outcome)
print("reserved", flush=True)
sys.stdin.read()
"""
RELEASE_SECONDS = PATIENCE


def far_owner() -> Owner:
    """An owner on another machine: nothing here can check its process."""
    return Owner(host="far", pid=1, token=secrets.randbits(63), machine="far", started=None)


@contextmanager
def owner_process(
    database_url: str, at: datetime, scope: str, fingerprint: str, keys: list[str]
) -> Iterator[subprocess.Popen[str]]:
    """A process that has reserved `keys` (on a clock standing at `at`) and holds them."""
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, database_url, at.isoformat(), scope, fingerprint, *keys],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline() == "reserved\n", "the owner process did not reserve"
        yield child
    finally:
        child.kill()
        child.wait()


def kill(child: subprocess.Popen[str]) -> None:
    """SIGKILL, then wait until the process is a zombie (dead, not reaped)."""
    os.kill(child.pid, signal.SIGKILL)
    os.waitid(os.P_PID, child.pid, os.WEXITED | os.WNOWAIT)


def released(database_url: str, pid: int, token: int | None = None) -> None:
    """On PostgreSQL, wait until no session is left of the owner lock of process `pid` (of
    its owner `token`, else of any): a backend exits releasing its locks first."""
    if not database_url.startswith("postgres"):
        return
    deadline = time.monotonic() + RELEASE_SECONDS
    with psycopg.connect(database_url, autocommit=True) as connection:
        while time.monotonic() < deadline:
            found = connection.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE %s",
                (f"ledger-owner:{pid}:" + ("%" if token is None else f"{token:016x}"),),
            ).fetchone()
            if found is not None and found[0] == 0:
                return
            time.sleep(0.02)
    raise AssertionError(f"PostgreSQL kept the session of dead process {pid}")
