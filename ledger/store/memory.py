"""The in-memory store: an SQLite database in the process's memory (`memory:NAME` URLs).

SQLite frees a shared-cache in-memory database when its last connection closes, which would
make the store forget everything between two services of one process (a test's app and the
app it opens again, the demo's stories and the tour). `hold` keeps one connection of its own
open until `release`, so the store lives as long as the process that named it wants it.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Mapping

from ledger.store.factories import SQLITE_TOPIC

_held: dict[str, sqlite3.Connection] = {}


def env_of(name: str) -> dict[str, str]:
    """The persistence environment of the in-memory store called `name` (no event tables of
    the ledger's own recorder: for tables of one's own, like a scratch copy of the views)."""
    return {
        "PERSISTENCE_MODULE": SQLITE_TOPIC,
        "SQLITE_DBNAME": f"file:ledger-{name}?mode=memory&cache=shared",
    }


_lock = threading.Lock()


def in_memory(env: Mapping[str, str]) -> str | None:
    """The SQLite URI of the in-memory database a persistence environment names, if any."""
    name = env.get("SQLITE_DBNAME", "")
    return name if name.startswith("file:") and "mode=memory" in name else None


def hold(env: Mapping[str, str]) -> None:
    """Keep the in-memory database that `env` names alive until `release` (no-op for a file
    or PostgreSQL)."""
    name = in_memory(env)
    if name is None:
        return
    with _lock:
        if name not in _held:
            _held[name] = sqlite3.connect(name, uri=True, check_same_thread=False)


def release(env: Mapping[str, str]) -> None:
    """Let the in-memory database go once its other connections close."""
    name = in_memory(env)
    with _lock:
        held = _held.pop(name, None) if name else None
    if held is not None:
        held.close()
