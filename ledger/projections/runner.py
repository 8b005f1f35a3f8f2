"""Keep the views up to date: read the notification log from each view's position, apply.

Pages of `select_notifications` are read, and their refund events decoded, once for every
view; one transaction per page applies to each view the events after its own position and
moves every view's position with them.
Following new events, PostgreSQL wakes the runner when events commit (LISTEN on the
recorder's NOTIFY channel, as the library's subscriptions do); SQLite cannot say, so it is
polled. PostgreSQL notification ids may have gaps; the default insert path commits them in
order, so reading past a gap never skips an event that commits later.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from functools import partial
from typing import Any

from eventsourcing.application import Application
from eventsourcing.postgres import PostgresDatastore

from ledger.projections.base import Fact, View
from ledger.projections.kpis import KpiView
from ledger.projections.payouts import PayoutsView
from ledger.projections.status import StatusView
from ledger.projections.trail import DecisionTrailView
from ledger.store.lag import ViewState, unseen
from ledger.store.tracking import ViewStore, open_store
from ledger.store.wakeup import wakeup

logger = logging.getLogger(__name__)
BATCH = 5000
Page = tuple[list[int], list[Fact]]  # a page's notification ids, and its decoded events


def all_views() -> list[View]:
    return [StatusView(), DecisionTrailView(), PayoutsView(), KpiView()]


class Projections:
    """The read models of one application's database."""

    def __init__(self, app: Application[Any], views: Sequence[View] | None = None) -> None:
        self.app = app
        self.views = {view.name: view for view in (views or all_views())}
        self.store: ViewStore = open_store(app)
        self.postgres = isinstance(getattr(app.factory, "datastore", None), PostgresDatastore)
        for view in self.views.values():
            self.store.ensure(view.name, view.schema(self.postgres))

    def view(self, name: str) -> View:
        return self.views[name]

    def catch_up(self, *names: str, batch: int = BATCH) -> int:
        """Apply every stored event the named views (default: all) have not seen.

        Each page of the log is read once, and its refund events decoded once, for all the
        views; the page is applied to every view in ONE transaction, which also moves each
        view's position (compare and set) to the page's last id. Returns the events applied,
        counted once per view.
        """
        views = [self.views[name] for name in names or tuple(self.views)]
        topics = frozenset().union(*(view.topics for view in views))
        positions = self.store.positions([view.name for view in views])
        applied = 0
        with ExitStack() as stack:
            ahead = self._reader(stack, topics, batch)
            page = ahead(min(positions.values()))
            while True:
                ids, events = page()
                if not ids:
                    return applied
                page = ahead(ids[-1])  # the next page, read while this one is applied
                moved, stale = self._apply(views, positions, ids, events)
                applied += moved
                positions.update({v.name: max(positions[v.name], ids[-1]) for v in views})
                if stale:  # another process applied these; go on from where it got
                    positions.update(self.store.positions(stale))
                    if min(positions.values()) != ids[-1]:  # the page read ahead is not next
                        page = ahead(min(positions.values()))
        raise AssertionError("unreachable")  # pragma: no cover

    def _reader(
        self, stack: ExitStack, topics: frozenset[str], batch: int
    ) -> Callable[[int], Callable[[], Page]]:
        """`ahead(start)` starts reading (and decoding) the page after `start`; calling what
        it returns gives the page. On PostgreSQL the page is read in a thread while the
        previous page's transaction runs (its round trips and commit leave the client idle):
        only the log is read ahead, and each page is still applied, in order, in its own
        transaction that moves the positions (compare and set) as before. SQLite reads the
        page when it is asked for."""

        def read(start: int) -> Page:
            found = self.app.recorder.select_notifications(
                start=start, limit=batch, inclusive_of_start=False
            )
            return [n.id for n in found], [
                fact for n in found if n.topic in topics and (fact := self._decode(n)) is not None
            ]

        if not self.postgres:
            return lambda start: partial(read, start)
        pool = stack.enter_context(
            ThreadPoolExecutor(max_workers=1, thread_name_prefix="projections-read")
        )
        return lambda start: pool.submit(read, start).result

    def _apply(
        self,
        views: list[View],
        positions: dict[str, int],
        ids: list[int],
        decoded: list[Fact],
    ) -> tuple[int, list[str]]:
        """One transaction: each view's unseen events of the page (`ids`, of which `decoded`
        are the decoded refund events) and its new position, the page's last id."""
        applied, stale, last = 0, [], ids[-1]
        with self.store.writing() as db:
            for view in views:
                position = positions[view.name]
                if position >= last:
                    continue
                if not self.store.advance(db, view.name, position, last):
                    stale.append(view.name)
                    continue
                if position < ids[0]:  # the whole page is new to the view (the usual case)
                    view.process(db, decoded)
                    applied += len(ids)
                else:
                    view.process(db, [fact for fact in decoded if fact.seq > position])
                    applied += sum(1 for n in ids if n > position)
        return applied, stale

    def _decode(self, notification: Any) -> Fact | None:
        """The notification's event and what the views derive from it; None (skipped) when
        it cannot be decoded."""
        try:
            return Fact(notification.id, self.app.mapper.to_domain_event(notification))
        except Exception:  # an undecodable row is `audit verify`'s to report, not a view's
            logger.warning("notification %s cannot be decoded; skipped", notification.id)
            return None

    def states(self) -> list[ViewState]:
        head = self.app.recorder.max_notification_id() or 0
        found = []
        for name in self.views:
            position = self.store.position(name)
            found.append(ViewState(name, position, head, unseen(self.app, self.store, position)))
        return found

    def rebuild(self, *names: str) -> int:
        """Drop the named views' rows and positions, then apply every event again."""
        chosen = names or tuple(self.views)
        for name in chosen:
            self.store.reset(name, self.views[name].tables)
        return self.catch_up(*chosen)

    def follow(self, stop: threading.Event, poll_seconds: float = 0.5, batch: int = BATCH) -> int:
        """Catch up, then keep applying new events until `stop` is set; the count.

        `poll_seconds` bounds the wait for news: on SQLite it is the polling interval; on
        PostgreSQL a notification usually ends the wait at once.
        """
        applied = 0
        with wakeup(self.app.recorder) as news:
            while not stop.is_set():
                started = time.monotonic()
                applied += self.catch_up(batch=batch)
                news.wait(stop, max(poll_seconds - (time.monotonic() - started), 0))
        return applied
