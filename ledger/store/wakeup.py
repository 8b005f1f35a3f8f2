"""Waiting for new events: PostgreSQL says when they commit, SQLite has to be polled.

On PostgreSQL every insert of events sends NOTIFY on the recorder's channel inside its
transaction, so a listener hears of it exactly when the events become readable; this is the
channel the library's own subscriptions listen on. The SQLite recorder has no such signal.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Protocol

from eventsourcing.postgres import PostgresApplicationRecorder
from psycopg import sql


class Wakeup(Protocol):
    def wait(self, stop: threading.Event, seconds: float) -> None:
        """Return when new events may have been stored, `stop` is set, or after `seconds`."""


class Poll:
    def wait(self, stop: threading.Event, seconds: float) -> None:
        stop.wait(seconds)


class Listen:
    """LISTEN on the recorder's channel; short slices keep `stop` responsive."""

    SLICE = 0.1

    def __init__(self, connection: Any) -> None:
        self.connection = connection

    def wait(self, stop: threading.Event, seconds: float) -> None:
        remaining = seconds
        while remaining > 0 and not stop.is_set():
            for _ in self.connection.notifies(timeout=min(self.SLICE, remaining), stop_after=1):
                return
            remaining -= self.SLICE


@contextmanager
def wakeup(recorder: Any) -> Iterator[Wakeup]:
    if not isinstance(recorder, PostgresApplicationRecorder):
        yield Poll()
        return
    with recorder.datastore.get_connection() as connection:
        connection.execute(sql.SQL("LISTEN {}").format(sql.Identifier(recorder.channel_name)))
        yield Listen(connection)
