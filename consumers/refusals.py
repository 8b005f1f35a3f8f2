"""Tell a message a handler refuses (its data) from a database that fails (everyone's)."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

import psycopg
from eventsourcing.persistence import InterfaceError, OperationalError

from consumers.handler import Handler
from consumers.messages import Delivered
from ledger.store.tracking import Db

#: Errors of the database itself: the batch must be retried, never dead-lettered.
DATABASE_DOWN = (
    psycopg.OperationalError,
    sqlite3.OperationalError,
    OperationalError,
    InterfaceError,
)


class Refused(Exception):
    """A handler raised for a message: it goes to the dead-letter topic with `reason`."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def apply_guarded(handler: Handler, db: Db, messages: Sequence[Delivered]) -> None:
    """The handler's effect of `messages` (new ones, in order): its `handle_many` when it has
    one, else `handle` for each; any error but the database's turned into `Refused` (the
    runner then applies the batch again message by message, to find the one refused)."""
    try:
        handle_many = getattr(handler, "handle_many", None)
        if handle_many is not None:
            handle_many(db, messages)
        else:
            for message in messages:
                handler.handle(db, message)
    except DATABASE_DOWN:
        raise
    except Exception as error:
        raise Refused(f"{handler.name} handler: {type(error).__name__}: {error}") from error
