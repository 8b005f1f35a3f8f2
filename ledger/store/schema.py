"""Create the event store's schema on first use, also when several processes race to."""

from __future__ import annotations

import random
import sqlite3
import time
from typing import Any

from eventsourcing.application import Application
from eventsourcing.persistence import ApplicationRecorder, PersistenceError
from eventsourcing.utils import Environment

from ledger.store.failures import classify

SCHEMA_ATTEMPTS = 10
SCHEMA_RACES = ("already exists", "concurrently updated", "database is locked")


class CreatesSchemaSafely(Application[Any]):
    """An application whose first use of a fresh database survives a concurrent first use."""

    def construct_recorder(self) -> ApplicationRecorder:
        """Create the schema on first use, even when several processes start at once.

        The loser of such a race fails: on PostgreSQL CREATE ... IF NOT EXISTS meets the
        winner's rows ("already exists", "tuple concurrently updated"); on SQLite switching a
        new file to WAL mode does not wait for the lock ("database is locked"). Once the
        winner is done, creating again finds everything in place. The failed attempt can
        leave the connection pool's writer lock taken, so each retry starts a new factory.
        A database that takes no writes (read-only, or its disk full: on PostgreSQL even
        CREATE OR REPLACE FUNCTION writes catalog rows) creates nothing: the schema it has is
        used as it is, so that what can still be read is.
        """
        env = dict(self.env)
        for attempt in range(SCHEMA_ATTEMPTS):
            try:
                return super().construct_recorder()
            except (PersistenceError, sqlite3.OperationalError) as error:
                unwritable = _unwritable(error) and env.get("CREATE_TABLE") != "n"
                if not unwritable and (
                    attempt == SCHEMA_ATTEMPTS - 1 or not _lost_schema_race(error)
                ):
                    raise
                if unwritable:
                    env["CREATE_TABLE"] = "n"
                else:
                    time.sleep(random.uniform(0.05, 0.2))  # creating takes a few tenths of a second
            self.factory.close()
            self.factory = self.construct_factory(Environment(self.name, env))
        raise AssertionError("unreachable")


def _unwritable(error: Exception) -> bool:
    """The database is read-only or its disk full."""
    failure = classify(error)
    return failure is not None and failure.of_storage


def _lost_schema_race(error: Exception) -> bool:
    return any(symptom in str(error) for symptom in SCHEMA_RACES)
