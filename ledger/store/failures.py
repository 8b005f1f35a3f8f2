"""What a database error means for the people waiting on it, read from its cause.

eventsourcing wraps the driver's errors in its own PersistenceError subclasses (`raise
OperationalError(str(e)) from e`), so the driver's error, which carries the code, is found
on `__cause__` (or `__context__`). The kinds:

- `full`: the disk holding the database is full (SQLITE_FULL, PostgreSQL 53100 disk_full,
  ENOSPC); `read-only`: the database refuses writes (SQLITE_READONLY, PostgreSQL 25006
  read_only_sql_transaction, EROFS). Both are failures of storage: HTTP 507.
- `unreachable`: no connection (refused, lost, timed out, server shutting down or starting);
  `timeout`: a statement ran past the statement timeout (57014); `busy`: SQLite's lock was
  not free in time. These are the database not answering: HTTP 503.
"""

from __future__ import annotations

import errno
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

import psycopg
from eventsourcing.persistence import InterfaceError, OperationalError, PersistenceError
from psycopg_pool import PoolTimeout

Kind = Literal["full", "read-only", "unreachable", "timeout", "busy"]
STORAGE_KINDS: frozenset[Kind] = frozenset({"full", "read-only"})

SQLITE_BUSY, SQLITE_LOCKED, SQLITE_READONLY = 5, 6, 8
SQLITE_FULL, SQLITE_CANTOPEN = 13, 14
_SQLITE_KINDS: dict[int, Kind] = {
    SQLITE_FULL: "full",
    SQLITE_READONLY: "read-only",
    SQLITE_BUSY: "busy",
    SQLITE_LOCKED: "busy",
    SQLITE_CANTOPEN: "unreachable",
}
_SQLSTATE_KINDS: dict[str, Kind] = {
    "53100": "full",  # disk_full
    "25006": "read-only",  # read_only_sql_transaction
    "57014": "timeout",  # query_canceled: statement_timeout
    "57P01": "unreachable",  # admin_shutdown
    "57P02": "unreachable",  # crash_shutdown
    "57P03": "unreachable",  # cannot_connect_now (starting up, shutting down)
}
_ERRNO_KINDS: dict[int, Kind] = {
    errno.ENOSPC: "full",
    errno.EDQUOT: "full",
    errno.EROFS: "read-only",
}
_SAYS: dict[Kind, str] = {
    "full": "the database's storage is full",
    "read-only": "the database is read-only",
    "unreachable": "the database cannot be reached",
    "timeout": "the database did not finish in time",
    "busy": "the database is busy (another writer holds its lock)",
}


class DatabaseUnreachable(psycopg.Error):
    """No connection within the connect timeout. A plain psycopg.Error, which eventsourcing
    wraps as a PersistenceError but does not retry (it retries OperationalError ten times,
    each waiting for the pool again)."""


class StorageFull(PersistenceError):
    """PostgreSQL's disk is full (53100 disk_full), raised from the driver's error (which
    `classify` reads). A PersistenceError that is not the library's OperationalError, which
    its recorders retry ten times 0.2 s apart: a full disk stays full for longer than that."""


@dataclass(frozen=True)
class Failure:
    kind: Kind
    cause: str  # the driver's own words, one line

    @property
    def of_storage(self) -> bool:
        """A full disk or a read-only database (HTTP 507), not a database that is away."""
        return self.kind in STORAGE_KINDS

    @property
    def message(self) -> str:
        return f"{_SAYS[self.kind]} ({self.cause})" if self.cause else _SAYS[self.kind]


def classify(error: BaseException) -> Failure | None:
    """The failure of the environment that `error` (or one of its causes) reports; None for
    anything else (a bug, a constraint, bad data)."""
    for link in _chain(error):
        kind = _kind(link)
        if kind is not None:
            return Failure(kind, _words(link) or _one_line(error))
    worded = _sqlite_words(str(error))  # a wrapper that kept only the words
    if worded is not None:
        return Failure(worded, _one_line(error))
    if isinstance(error, (OperationalError, InterfaceError)):  # wrapped, code unknown
        return Failure("unreachable", _one_line(error))
    return None


def _kind(error: BaseException) -> Kind | None:
    if isinstance(error, sqlite3.Error):
        code = getattr(error, "sqlite_errorcode", None)
        if isinstance(code, int) and (code & 0xFF) in _SQLITE_KINDS:
            return _SQLITE_KINDS[code & 0xFF]
        return _sqlite_words(str(error))
    if isinstance(error, (DatabaseUnreachable, PoolTimeout)):
        return "unreachable"
    if isinstance(error, psycopg.Error):
        state = error.sqlstate or ""
        if state in _SQLSTATE_KINDS:
            return _SQLSTATE_KINDS[state]
        if state.startswith("08") or (not state and isinstance(error, psycopg.OperationalError)):
            return "unreachable"  # connection exception, or no answer at all
        return None
    if isinstance(error, OSError) and error.errno in _ERRNO_KINDS:
        return _ERRNO_KINDS[error.errno]
    return None


def _sqlite_words(text: str) -> Kind | None:
    """The kind from SQLite's message, for an error that lost its code."""
    lowered = text.lower()
    if "database or disk is full" in lowered:
        return "full"
    if "readonly database" in lowered or "read-only" in lowered:
        return "read-only"
    if "database is locked" in lowered:
        return "busy"
    return None


def _chain(error: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    link: BaseException | None = error
    while link is not None and id(link) not in seen:
        seen.add(id(link))
        yield link
        link = link.__cause__ or link.__context__


def _words(error: BaseException) -> str:
    """The error's own words: PostgreSQL's primary message (without its CONTEXT lines)."""
    if isinstance(error, psycopg.Error):
        primary = error.diag.message_primary
        if primary:
            return " ".join(primary.split())
    return _one_line(error)


def _one_line(error: BaseException) -> str:
    return " ".join(str(error).split())
