"""A new SQLite database file is created readable by its owner only (mode 0600).

SQLite would create it with 0644 (less the umask), and gives its -wal, -shm and journal files
the mode of the database file: so the file is made here, empty and 0600, before the
eventsourcing sqlite module opens it (SQLite takes an empty file as a new database). An
existing file keeps its mode.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from ledger.store.factories import SQLITE_TOPIC

PRIVATE = 0o600


def create_private(env: Mapping[str, str]) -> None:
    """Create the SQLite file named by a persistence environment if it does not exist."""
    if env.get("PERSISTENCE_MODULE") not in ("eventsourcing.sqlite", SQLITE_TOPIC):
        return
    name = env.get("SQLITE_DBNAME", "")
    if not name or name == ":memory:" or name.startswith("file:"):
        return  # in memory, or a URI whose options SQLite reads itself
    try:
        # O_EXCL: an existing file, or a symbolic link (even a dangling one), is left alone
        os.close(os.open(name, os.O_CREAT | os.O_EXCL | os.O_WRONLY, PRIVATE))
    except FileExistsError:
        return
    except OSError:
        return  # SQLite reports the problem in its own words when it opens the file
