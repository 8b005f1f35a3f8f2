"""`audit verify --checkpoint FILE --key KEY`: the stored events against a signed tree head
that the operator cannot have forged (the key that signed it is the verifier's own copy).

One pass over the notification log hashes every stored event into its leaf again, grows the
tree from them, and reads beside it the integrated log (its leaves, its kept nodes, its tree
row). The checkpoint's root must be the root of the first `size` leaves of the stored events;
the integrated log must hold those same leaves and extend the checkpoint (append only); the
kept nodes, from which proofs are made, must be the nodes of that tree. The first leaf that
differs is named: its position, its aggregate and version, and what happened to it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent

from ledger.audit.leaves import LoggedEvent
from ledger.audit.log import AuditLog
from ledger.audit.merkle import Frontier
from ledger.audit.note import Checkpoint
from ledger.audit.tiles import EMPTY, HEIGHT, Key, place, put
from ledger.store.merkle_log import LeafRow
from ledger.store.recorders import CHAINED_TOPICS

PAGE = 5000


@dataclass(frozen=True)
class Seen:
    """One stored event as the pass met it."""

    position: int
    notification_id: int
    event: LoggedEvent
    leaf: bytes


@dataclass
class LogReport:
    checkpoint_size: int
    events: int = 0  # stored events hashed
    integrated: int = 0  # leaves of the integrated log
    problems: list[str] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not self.problems

    def as_json(self) -> dict[str, Any]:
        return {
            "intact": self.intact,
            "checkpoint_size": self.checkpoint_size,
            "events": self.events,
            "integrated": self.integrated,
            "first_problem": self.problems[0] if self.problems else None,
            "problems": self.problems,
        }


def _events(log: AuditLog, feed: Callable[[Any], None]) -> Iterator[Seen]:
    """Every stored event in log order, with its leaf (read as the integrator reads them);
    `feed` sees each refund event too, as a stored event (the chain check rides on this
    pass)."""
    start, position = 0, 0
    sha256 = hashlib.sha256
    while page := log.reader.after(log.store, start, PAGE):
        for notification_id, aggregate, version, topic, state in page:
            if topic in CHAINED_TOPICS:
                feed(StoredEvent(UUID(aggregate), version, topic, state))
            event = LoggedEvent(aggregate, version, topic, state)
            yield Seen(position, notification_id, event, sha256(b"\x00" + event.data()).digest())
            position += 1
        start = page[-1][0]


def _leaves(log: AuditLog) -> Iterator[LeafRow]:
    start = 0
    while True:
        with log.store.reading() as db:
            page = log.tables.leaves_between(db, start, start + PAGE)
        yield from page
        if len(page) < PAGE:
            return
        start += PAGE


def _named(leaf: LeafRow) -> str:
    return f"the event of {leaf.originator_id} version {leaf.originator_version}"


def verify_log(log: AuditLog, checkpoint: Checkpoint, feed: Callable[[Any], None]) -> LogReport:
    report = LogReport(checkpoint.size)
    events, stored = Frontier(), Frontier()
    signed_root: bytes | None = None
    stored_root: bytes | None = None
    kept = _TileCheck(log)
    first: str | None = None
    stored_leaves = _leaves(log)
    for seen in _events(log, feed):
        report.events += 1
        completed = events.append(seen.leaf)
        if events.size == checkpoint.size:
            signed_root = events.root()
        leaf = next(stored_leaves, None)
        if leaf is None:
            continue  # not integrated yet
        report.integrated += 1
        stored.append(leaf.leaf_hash)
        if stored.size == checkpoint.size:
            stored_root = stored.root()
        if first is None:
            first = _difference(seen, leaf)
        found = kept.add(completed)
        first = first or found
    for leaf in stored_leaves:  # in the integrated log, but no longer among the events
        report.integrated += 1
        stored.append(leaf.leaf_hash)
        if stored.size == checkpoint.size:
            stored_root = stored.root()
        if first is None:
            first = f"leaf {leaf.position}: {_named(leaf)} is gone from the stored events"
    first = first or kept.finish()
    if checkpoint.size == 0:
        signed_root = stored_root = checkpoint.root
    _conclude(report, checkpoint, signed_root, stored_root, first, log, stored)
    return report


def _difference(seen: Seen, leaf: LeafRow) -> str | None:
    same_event = (leaf.originator_id, leaf.originator_version) == (
        seen.event.originator_id,
        seen.event.originator_version,
    )
    where = f"leaf {seen.position}"
    if not same_event:
        return (
            f"{where}: the log holds {_named(leaf)} here, the stored events "
            f"{seen.event.names()}: an event was removed, inserted or moved"
        )
    if leaf.leaf_hash != seen.leaf:
        return f"{where}: {seen.event.names()} was altered after it was logged"
    return None


def _conclude(
    report: LogReport,
    checkpoint: Checkpoint,
    signed_root: bytes | None,
    stored_root: bytes | None,
    first: str | None,
    log: AuditLog,
    stored: Frontier,
) -> None:
    problems = report.problems
    if report.events < checkpoint.size:
        problems.append(
            first
            or f"the stored events are {report.events}, fewer than the {checkpoint.size} signed"
        )
    elif signed_root != checkpoint.root:
        problems.append(
            first
            or "the stored events and the integrated log agree, but not with the checkpoint: "
            f"both were rewritten before leaf {checkpoint.size}"
        )
    elif stored_root != checkpoint.root:
        found = f": {first}" if first else ""
        problems.append(
            f"the integrated log was altered (it does not extend the checkpoint){found}"
        )
    elif first is not None:
        problems.append(first)
    head = log.head()
    if head.size != stored.size or head.root != stored.root():
        problems.append(
            f"the tree row (size {head.size}) is not the tree of the {stored.size} integrated "
            "leaves: it was altered"
        )


class _TileCheck:
    """The integrated log's tiles against the tiles of the tree rebuilt from the events: each
    tile is compared as the rebuilt tree completes it (tier by tier, in order), the partial
    ones at the end."""

    def __init__(self, log: AuditLog) -> None:
        self.log = log
        self.expected: dict[Key, bytearray] = {}
        self.stored: dict[int, Iterator[tuple[int, bytes]]] = {}

    def add(self, completed: list[tuple[int, int, bytes]]) -> str | None:
        problem = None
        for level, index, digest in completed:
            key, slot = place(level, index)
            put(self.expected.setdefault(key, bytearray(EMPTY)), slot, digest)
            if level and level % HEIGHT == 0:  # the top of the tile below: it is complete
                problem = problem or self._compare((level // HEIGHT - 1, index))
        return problem

    def finish(self) -> str | None:
        problem = None
        for key in sorted(self.expected):
            problem = problem or self._compare(key)
        for tier in list(self.stored):
            extra = self._next(tier)
            if extra is not None and problem is None:
                problem = f"the log keeps a tile (tier {tier} index {extra[0]}) of no leaf"
        return problem

    def _compare(self, key: Key) -> str | None:
        tier, index = key
        expected = bytes(self.expected.pop(key))
        found = self._next(tier)
        if found is None or found != (index, expected):
            return f"the log's tile of tier {tier} index {index} was altered"
        return None

    def _next(self, tier: int) -> tuple[int, bytes] | None:
        if tier not in self.stored:
            self.stored[tier] = self._tiles(tier)
        return next(self.stored[tier], None)

    def _tiles(self, tier: int) -> Iterator[tuple[int, bytes]]:
        start = 0
        while True:
            with self.log.store.reading() as db:
                page = self.log.tables.tiles_from(db, tier, start, PAGE)
            yield from page
            if len(page) < PAGE:
                return
            start = page[-1][0] + 1
