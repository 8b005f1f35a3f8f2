"""Who holds a pending `Idempotency-Key`: the server process that reserved it, and whether it
still lives.

Each server process is one owner: its host name, pid, a random 63-bit token made at start,
the machine it runs on (boot id and pid namespace, where the pid means this process) and the
process's start time. A reservation stores its owner, so a retry can tell a request still
running from one whose process died:

- PostgreSQL: the owner holds a session-level advisory lock (key: its token) on a connection
  of its own for as long as it lives. PostgreSQL releases it as soon as that connection
  closes, so a killed process's lock is free at once; a check takes the lock and gives it
  back in one statement.
- SQLite (one machine): the owner's pid and that process's start time in /proc. A pid that
  is gone, a zombie, or a process started at another moment is a dead owner. An owner on
  another machine (the same file shared) cannot be checked: its lease decides.
- Both: a lease. The owner renews its pending keys every `stale_after / 4` (a background
  thread); a key not renewed for `stale_after` is taken over whatever the check says.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import socket
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import psycopg
from eventsourcing.persistence import OperationalError, PersistenceError

from ledger.store.tracking import PostgresViews

logger = logging.getLogger("ledger.api")
PROC = Path("/proc")
DEAD_STATES = ("Z", "X")  # a zombie (killed, not yet reaped) is dead too
CONNECT_TIMEOUT = 10  # seconds: the heartbeat must not hang on an unreachable server

# True when nobody held the lock (the owner is gone); the lock is given back at once
GONE_SQL = (
    "SELECT CASE WHEN pg_try_advisory_lock(%s::bigint) "
    "THEN pg_advisory_unlock(%s::bigint) ELSE false END AS gone"
)


@dataclass(frozen=True)
class Owner:
    """A server process that reserves keys, as stored with each of its reservations."""

    host: str
    pid: int
    token: int  # random at start: the advisory lock's key, and this run of the pid
    machine: str  # where `pid` and `started` name this process
    started: str | None  # the process's start time (clock ticks after boot); None: unknown

    @property
    def name(self) -> str:
        return f"{self.host}:{self.pid}:{self.token:016x}"

    def dumps(self) -> str:
        return json.dumps(asdict(self), sort_keys=True, separators=(",", ":"))

    @classmethod
    def loads(cls, text: str) -> Owner | None:
        """The owner stored as `text`; None when it is not one (then the key's age decides)."""
        try:
            fields = json.loads(text)
            return cls(
                host=str(fields["host"]),
                pid=int(fields["pid"]),
                token=int(fields["token"]),
                machine=str(fields["machine"]),
                started=None if fields["started"] is None else str(fields["started"]),
            )
        except (ValueError, TypeError, KeyError):
            return None


def this_process() -> Owner:
    """The owner for the calling process, with a fresh token."""
    pid = os.getpid()
    return Owner(socket.gethostname(), pid, secrets.randbits(63), machine(), started(pid))


def machine() -> str:
    """The host name, boot id and pid namespace: two processes that share them see the same
    pids. Without /proc, the host name alone (and `started` is None, so nothing is checked)."""
    try:
        boot = (PROC / "sys/kernel/random/boot_id").read_text().strip()
        namespace = os.readlink(PROC / "self/ns/pid")
    except OSError:
        return socket.gethostname()
    return f"{socket.gethostname()}/{boot}/{namespace}"


def started(pid: int) -> str | None:
    """When process `pid` started; None if it is gone or dead, or there is no /proc."""
    try:
        return start_time((PROC / str(pid) / "stat").read_text())
    except OSError:
        return None


def start_time(stat: str) -> str | None:
    """Field 22 of a /proc/PID/stat line (clock ticks after boot); None for a dead process."""
    fields = stat[stat.rindex(")") + 2 :].split()  # after the command name, which may hold ")"
    return None if fields[0] in DEAD_STATES else fields[19]


def gone_from_this_machine(owner: Owner) -> bool:
    """True when `owner` ran on this machine and its process is no more (SQLite's check)."""
    if owner.started is None or owner.machine != machine():
        return False  # not ours to check: its lease decides
    return started(owner.pid) != owner.started


class Running:
    """The keys that requests of this process run, claimed before the database is asked."""

    def __init__(self) -> None:
        self.running: set[tuple[str, str]] = set()
        self.guard = threading.Lock()

    def claim(self, scope: str, key: str) -> bool:
        """True, and the key is ours, unless another request of this process runs it."""
        with self.guard:
            if (scope, key) in self.running:
                return False
            self.running.add((scope, key))
            return True

    def done(self, scope: str, key: str) -> None:
        with self.guard:
            self.running.discard((scope, key))

    def keys(self) -> list[tuple[str, str]]:
        with self.guard:
            return list(self.running)


class LockHolder:
    """The owner's advisory lock on PostgreSQL, on a connection of its own, held while the
    process lives; `check()` (from the heartbeat) reconnects and takes it again if the
    connection dropped."""

    def __init__(self, connect: dict[str, Any], owner: Owner) -> None:
        self.connect = {name: value for name, value in connect.items() if name != "row_factory"}
        self.connect.setdefault("connect_timeout", CONNECT_TIMEOUT)
        self.owner = owner
        self.connection: psycopg.Connection[Any] | None = None
        self.held = False
        try:
            self.check()
        except psycopg.OperationalError as error:  # reported as every database failure is
            raise OperationalError(str(error)) from error
        if not self.held:
            raise RuntimeError(f"the advisory lock of {owner.name} is held by another process")

    @classmethod
    def on(cls, store: PostgresViews, owner: Owner) -> LockHolder:
        """The lock on the database of `store`, connected as its pool connects."""
        kwargs = store.datastore.pool.kwargs
        return cls(dict(kwargs() if callable(kwargs) else kwargs or {}), owner)

    def check(self) -> None:
        if self.connection is not None and not self.connection.closed:
            try:
                self.connection.execute("SELECT 1")
            except psycopg.Error:
                self.connection.close()
        if self.connection is None or self.connection.closed:
            self.held = False
            self.connection = psycopg.connect(
                **self.connect,
                autocommit=True,
                application_name=f"ledger-owner:{self.owner.pid}:{self.owner.token:016x}",
            )
        if not self.held:  # a dropped session's lock may linger until the server notices
            found = self.connection.execute(
                "SELECT pg_try_advisory_lock(%s::bigint)", (self.owner.token,)
            ).fetchone()
            self.held = bool(found and found[0])

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()  # the lock goes with the session


class Heartbeat:
    """Calls `beat` every `every` seconds on a daemon thread until `stop()`."""

    def __init__(self, every: float, beat: Callable[[], None]) -> None:
        self.every, self.beat = every, beat
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._run, name="idempotency-owner", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self.stopped.wait(self.every):
            try:
                self.beat()
            except (PersistenceError, psycopg.Error) as error:  # an outage: the next beat
                logger.warning("could not renew this process's Idempotency-Keys: %s", error)
            except Exception:
                logger.exception("renewing this process's Idempotency-Keys failed")

    def stop(self) -> None:
        self.stopped.set()
        self.thread.join(timeout=self.every + 5)
