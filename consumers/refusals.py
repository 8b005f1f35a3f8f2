"""Tell a message a handler refuses (its data) from a database that fails (everyone's)."""

from __future__ import annotations

import sqlite3

import psycopg
from eventsourcing.persistence import InterfaceError, OperationalError

from consumers.handler import Handler
from consumers.messages import Delivered
from ledger.projections.store import Db

#: Errors of the database itself: the batch must be retried, never dead-lettered.
DATABASE_DOWN = (
    psycopg.OperationalError,
    sqlite3.OperationalError,
    OperationalError,
    InterfaceError,
)


class Refused(Exception):
    """A handler raised for this message: it goes to the dead-letter topic with `reason`."""

    def __init__(self, message: Delivered, reason: str) -> None:
        super().__init__(reason)
        self.message = message
        self.reason = reason


def apply_guarded(handler: Handler, db: Db, message: Delivered) -> None:
    """`handler.handle`, with any error but the database's turned into `Refused`."""
    try:
        handler.handle(db, message)
    except DATABASE_DOWN:
        raise
    except Exception as error:
        reason = f"{handler.name} handler: {type(error).__name__}: {error}"
        raise Refused(message, reason) from error
