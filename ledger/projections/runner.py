"""Keep the views up to date: read the notification log from each view's position, apply.

Both back ends poll `select_notifications` (the SQLite recorder cannot subscribe), one batch
per transaction. PostgreSQL notification ids may have gaps; the default insert path commits
them in order, so reading past a gap never skips an event that commits later.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from eventsourcing.application import Application
from eventsourcing.postgres import PostgresDatastore

from ledger.projections.base import View
from ledger.projections.kpis import KpiView
from ledger.projections.payouts import PayoutsView
from ledger.projections.status import StatusView
from ledger.projections.store import StalePosition, ViewStore, open_store
from ledger.projections.trail import DecisionTrailView

logger = logging.getLogger(__name__)
BATCH = 500


def all_views() -> list[View]:
    return [StatusView(), DecisionTrailView(), PayoutsView(), KpiView()]


@dataclass(frozen=True)
class ViewState:
    name: str
    position: int
    head: int

    @property
    def lag(self) -> int:
        return max(self.head - self.position, 0)


class Projections:
    """The read models of one application's database."""

    def __init__(self, app: Application[Any], views: Sequence[View] | None = None) -> None:
        self.app = app
        self.views = {view.name: view for view in (views or all_views())}
        self.store: ViewStore = open_store(app)
        postgres = isinstance(getattr(app.factory, "datastore", None), PostgresDatastore)
        for view in self.views.values():
            self.store.ensure(view.name, view.schema(postgres))

    def view(self, name: str) -> View:
        return self.views[name]

    def catch_up(self, *names: str, batch: int = BATCH) -> int:
        """Apply every stored event the named views (default: all) have not seen; the count."""
        return sum(self._catch_up(self.views[n], batch) for n in names or tuple(self.views))

    def _catch_up(self, view: View, batch: int) -> int:
        applied = 0
        while True:
            position = self.store.position(view.name)
            page = self.app.recorder.select_notifications(
                start=position, limit=batch, inclusive_of_start=False
            )
            if not page:
                return applied
            events = [(n.id, self._decode(n)) for n in page]
            try:
                with self.store.advancing(view.name, position, page[-1].id) as db:
                    view.process(db, events)
            except StalePosition:
                continue  # another process applied this batch; read on from where it got
            applied += len(page)

    def _decode(self, notification: Any) -> Any:
        try:
            return self.app.mapper.to_domain_event(notification)
        except Exception:  # an undecodable row is `audit verify`'s to report, not a view's
            logger.warning("notification %s cannot be decoded; skipped", notification.id)
            return None

    def states(self) -> list[ViewState]:
        head = self.app.recorder.max_notification_id() or 0
        return [ViewState(n, self.store.position(n), head) for n in self.views]

    def rebuild(self, *names: str) -> int:
        """Drop the named views' rows and positions, then apply every event again."""
        chosen = names or tuple(self.views)
        for name in chosen:
            self.store.reset(name, self.views[name].tables)
        return self.catch_up(*chosen)

    def follow(self, stop: threading.Event, poll_seconds: float = 0.5, batch: int = BATCH) -> int:
        """Catch up, then keep applying new events until `stop` is set; the count."""
        applied = 0
        while not stop.is_set():
            started = time.monotonic()
            applied += self.catch_up(batch=batch)
            stop.wait(max(poll_seconds - (time.monotonic() - started), 0))
        return applied
