"""How far a tracked reader (a view, the relay) is behind the notification log.

A position is a notification id in the tracking table (ledger/store/tracking.py); the lag is
the number of stored events after it, counted in the events table, since PostgreSQL ids may
have gaps.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eventsourcing.application import Application
from eventsourcing.postgres import PostgresDatastore
from psycopg import sql

from ledger.store.tracking import ViewStore


@dataclass(frozen=True)
class ViewState:
    """A reader's position, the newest notification id, and how many events it has not seen."""

    name: str
    position: int
    head: int
    lag: int


def unseen(app: Application[Any], store: ViewStore, position: int) -> int:
    """Stored events after `position` (ids may have gaps, so not a difference of ids)."""
    recorder: Any = app.recorder
    table: sql.Composable
    column: sql.Composable
    if isinstance(recorder.datastore, PostgresDatastore):
        table = sql.Identifier(recorder.datastore.schema, recorder.events_table_name)
        column = sql.Identifier("notification_id")
    else:
        table, column = sql.Identifier(recorder.events_table_name), sql.SQL("rowid")
    with store.reading() as db:
        found = db.rows(
            sql.SQL("SELECT count(*) AS n FROM {} WHERE {} > %s").format(table, column),
            (position,),
        )
    return int(found[0]["n"])


def tracked_state(app: Application[Any], store: ViewStore, name: str) -> ViewState:
    """The state of the reader tracked as `name`."""
    position = store.position(name)
    head = app.recorder.max_notification_id() or 0
    return ViewState(name, position, head, unseen(app, store, position))
