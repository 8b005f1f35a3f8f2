"""Reads degrade, they do not fail: a read that cannot catch its views up first (the disk is
full, the database is read-only or busy) answers from the views as they stand, and says how
many stored events they have not seen yet."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from eventsourcing.persistence import PersistenceError

from ledger.projections.runner import Projections
from ledger.store.failures import Failure, classify
from ledger.store.lag import unseen


@dataclass(frozen=True)
class Freshness:
    """`lag`: stored events the views have not seen (0: caught up); `failure`: why they
    could not be caught up, or None."""

    lag: int
    failure: Failure | None = None

    @property
    def note(self) -> str:
        """One line for the reader of a stale answer ('' when the views are current)."""
        if self.failure is None:
            return ""
        return (
            f"the views are {self.lag} event(s) behind and could not be caught up: "
            f"{self.failure.message}; answering from them as they stand"
        )


def catch_up_or_lag(projections: Projections, *names: str) -> Freshness:
    """Catch the named views (default: all) up; when the database will not take the views'
    writes, their lag instead. A database that cannot be reached at all still fails."""
    try:
        projections.catch_up(*names)
    except (PersistenceError, sqlite3.Error) as error:
        failure = classify(error)
        if failure is None or failure.kind == "unreachable":
            raise
        positions = projections.store.positions(list(names or projections.views))
        lag = unseen(projections.app, projections.store, min(positions.values()))
        return Freshness(lag, failure)
    return Freshness(0)
