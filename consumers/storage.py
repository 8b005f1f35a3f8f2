"""Where a consumer keeps its tables: any ledger database URL (by default the ledger's own)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from uuid import UUID

from eventsourcing.application import Application

from ledger.config import persistence_env
from ledger.store.sqlite_file import create_private
from ledger.store.timeouts import DbTimeouts
from ledger.store.tracking import ViewStore, open_store


@contextmanager
def consumer_store(database_url: str, timeouts: DbTimeouts | None = None) -> Iterator[ViewStore]:
    """A store on `database_url` for consumer tables; the ledger's event tables are not made."""
    env = persistence_env(database_url, timeouts)
    create_private(env)
    env.pop("APPLICATION_RECORDER_TOPIC", None)
    env["CREATE_TABLE"] = "n"  # only the tracking table and the consumer's own tables
    app: Application[UUID] = Application(env=env)
    try:
        yield open_store(app)
    finally:
        app.close()
