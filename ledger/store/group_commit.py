"""Group commit: the events of concurrent commands in one process, saved in one transaction.

Threads of one process (the HTTP server's handlers, a benchmark's clients) that save at the
same time queue their events; one of them, the leader, inserts everything queued in one
transaction, then hands the lead to the next waiting thread. One table lock, one commit and
one disk flush serve them all, instead of one each in turn.

Each command keeps its own outcome. Commands that write the same aggregate version never
share a batch (the later one waits for the next), and when a batch fails on a conflict
(optimistic concurrency: another process saved first) each command in it is inserted again
on its own, so only the commands that really conflict fail, with the `IntegrityError` that
their retry loop expects. A lone thread pays one lock acquisition and nothing else.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from eventsourcing.persistence import IntegrityError

if TYPE_CHECKING:
    from eventsourcing.persistence import StoredEvent

Insert = Callable[[Sequence["StoredEvent"]], Sequence[int] | None]
MAX_BATCH_EVENTS = 1000


class _Waiting:
    """One command's events, and what became of them."""

    def __init__(self, events: Sequence[StoredEvent]) -> None:
        self.events = events
        self.keys = {(str(e.originator_id), e.originator_version) for e in events}
        self.woken = threading.Event()
        self.leads = False
        self.done = False
        self.ids: Sequence[int] | None = None
        self.error: BaseException | None = None

    def finish(self, ids: Sequence[int] | None, error: BaseException | None) -> None:
        self.ids, self.error, self.done = ids, error, True

    def outcome(self) -> Sequence[int] | None:
        if self.error is not None:
            raise self.error
        return self.ids


class GroupCommit:
    """Saves concurrent callers' events together through `insert` (one transaction a call)."""

    def __init__(self, insert: Insert, max_events: int = MAX_BATCH_EVENTS) -> None:
        self._insert = insert
        self._max_events = max_events
        self._lock = threading.Lock()
        self._queue: list[_Waiting] = []
        self._leading = False
        self.batches = 0  # transactions made (tests and benchmarks read it)

    @property
    def waiting(self) -> int:
        """Callers queued behind the transaction in progress."""
        with self._lock:
            return len(self._queue)

    def insert(self, events: Sequence[StoredEvent]) -> Sequence[int] | None:
        """Insert `events` atomically, perhaps with other callers' in the same transaction."""
        me = _Waiting(events)
        with self._lock:
            self._queue.append(me)
            leads = not self._leading
            self._leading = True
        if not leads:
            me.woken.wait()
            if not me.leads:
                return me.outcome()
        try:
            self._commit(self._take())
        finally:
            self._pass_lead()
        return me.outcome()

    def _take(self) -> list[_Waiting]:
        """The queue's head and every later caller that writes none of the same versions."""
        with self._lock:
            batch: list[_Waiting] = []
            taken: set[tuple[str, int]] = set()
            size = 0
            for waiting in self._queue:
                if batch and (size + len(waiting.events) > self._max_events):
                    break
                if taken.isdisjoint(waiting.keys):
                    batch.append(waiting)
                    taken |= waiting.keys
                    size += len(waiting.events)
            chosen = {id(w) for w in batch}
            self._queue = [w for w in self._queue if id(w) not in chosen]
            return batch

    def _commit(self, batch: list[_Waiting]) -> None:
        try:
            if len(batch) == 1:
                self._one(batch[0])
                return
            events = [event for waiting in batch for event in waiting.events]
            try:
                ids = self._insert(events)
                self.batches += 1
            except IntegrityError:
                for waiting in batch:  # find who conflicts: each on its own
                    self._one(waiting)
                return
            except BaseException as error:
                for waiting in batch:
                    waiting.finish(None, error)
                return
            start = 0
            for waiting in batch:
                end = start + len(waiting.events)
                waiting.finish(None if ids is None else ids[start:end], None)
                start = end
        finally:
            for waiting in batch:
                if not waiting.done:  # interrupted: never leave a caller waiting for ever
                    waiting.finish(None, RuntimeError("group commit interrupted"))
                waiting.woken.set()

    def _one(self, waiting: _Waiting) -> None:
        try:
            ids = self._insert(waiting.events)
            self.batches += 1
        except BaseException as error:
            waiting.finish(None, error)
        else:
            waiting.finish(ids, None)

    def _pass_lead(self) -> None:
        with self._lock:
            if not self._queue:
                self._leading = False
                return
            following = self._queue[0]
        following.leads = True
        following.woken.set()
