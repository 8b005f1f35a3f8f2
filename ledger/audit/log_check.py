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

from ledger.audit.findings import Findings
from ledger.audit.leaves import LoggedEvent, head
from ledger.audit.log import AuditLog
from ledger.audit.merkle import Frontier
from ledger.audit.note import Checkpoint
from ledger.audit.tiles import HEIGHT, Key, write_row
from ledger.store.merkle_log import LeafRow, Row
from ledger.store.recorders import CHAINED_TOPICS

PAGE = 5000


@dataclass
class LogReport(Findings):
    checkpoint_size: int
    events: int = 0  # stored events hashed
    integrated: int = 0  # leaves of the integrated log
    problems: list[str] = field(default_factory=list)


def _named(leaf: LeafRow) -> str:
    return f"the event of {leaf.originator_id} version {leaf.originator_version}"


def verify_log(log: AuditLog, checkpoint: Checkpoint, feed: Callable[[Any], None]) -> LogReport:
    """The pass, a page at a time: each page of stored events hashed (and its refund events
    fed to `feed`, the chain check), compared with the integrated log's leaves of the same
    positions, grown into the rebuilt tree, whose completed tiles are compared as they come."""
    report = LogReport(checkpoint.size)
    events, stored = Frontier(), Frontier()
    roots: dict[str, bytes] = {}
    kept = _TileCheck(log)
    lined = _LinedUp(log)
    tiles: str | None = None
    start, position, size = 0, 0, checkpoint.size
    sha256 = hashlib.sha256
    while page := log.reader.after(log.store, start, PAGE):
        digests = []
        for _, aggregate, version, topic, state in page:
            if topic in CHAINED_TOPICS:
                feed(StoredEvent(UUID(aggregate), version, topic, state))
            digests.append(sha256(b"\x00" + head(aggregate, version, topic) + state).digest())
        for offset, row in enumerate(page):
            lined.event(position + offset, row, digests[offset])
        for completed in _grow(events, digests, size, roots, "events"):
            tiles = tiles or kept.add(completed)
        _grow(stored, lined.taken(), size, roots, "stored")
        report.events += len(page)
        position += len(page)
        start = page[-1][0]
    lined.finish()
    _grow(stored, lined.taken(), size, roots, "stored")
    report.integrated = stored.size
    if lined.problems:  # the tiles rebuilt from events that differ differ too: name the events
        tiles = None
    else:
        tiles = tiles or kept.finish()
    if size == 0:
        roots = {"events": checkpoint.root, "stored": checkpoint.root}
    found = [*lined.problems, *([tiles] if tiles else [])]
    _conclude(report, checkpoint, roots.get("events"), roots.get("stored"), found, log, stored)
    return report


class _LinedUp:
    """The stored events lined up with the integrated log's leaves by what each is (its
    aggregate and version), so that after a removed, inserted or moved event the ones after
    it are still compared, and each difference is named (the first LIMIT of them)."""

    LIMIT = 20

    def __init__(self, log: AuditLog) -> None:
        self.log = log
        self.leaves = self._stored()
        self.ahead = next(self.leaves, None)
        self.consumed: list[bytes] = []
        self.problems: list[str] = []

    def _stored(self) -> Iterator[LeafRow]:
        start = 0
        while True:
            with self.log.store.reading() as db:
                page = self.log.tables.leaves_between(db, start, start + PAGE)
            yield from page
            if len(page) < PAGE:
                return
            start += PAGE

    def taken(self) -> list[bytes]:
        """The hashes of the leaves consumed since the last call, in the log's order."""
        found, self.consumed = self.consumed, []
        return found

    def _take(self) -> LeafRow:
        leaf = self.ahead
        assert leaf is not None
        self.consumed.append(leaf.leaf_hash)
        self.ahead = next(self.leaves, None)
        return leaf

    def _note(self, problem: str) -> None:
        if len(self.problems) < self.LIMIT:
            self.problems.append(problem)

    def event(self, position: int, row: Row, digest: bytes) -> None:
        _, aggregate, version, topic, state = row
        while (leaf := self.ahead) is not None:
            if (leaf.originator_id, leaf.originator_version) == (aggregate, version):
                self._take()
                if leaf.leaf_hash != digest:
                    names = LoggedEvent(aggregate, version, topic, state).names()
                    self._note(f"leaf {leaf.position}: {names} was altered after it was logged")
                return
            names = LoggedEvent(aggregate, version, topic, state).names()
            stored = self._is_stored(leaf)
            logged = self._is_logged(aggregate, version)
            if not stored:
                self._take()
                self._note(f"leaf {leaf.position}: {_named(leaf)} was removed from the events")
                continue  # the same event against the next leaf
            if not logged:
                self._note(
                    f"{names}, stored where the log holds leaf {leaf.position}, is in no "
                    "leaf: it was inserted"
                )
                return  # the leaf waits for its own event
            self._take()
            self._note(
                f"leaf {leaf.position}: the log holds {_named(leaf)} here, the events "
                f"{names}: events were reordered"
            )
            return

    def finish(self) -> None:
        while self.ahead is not None:
            leaf = self._take()
            self._note(f"leaf {leaf.position}: {_named(leaf)} was removed from the events")

    def _is_stored(self, leaf: LeafRow) -> bool:
        version = leaf.originator_version
        found = self.log.app.recorder.select_events(
            UUID(leaf.originator_id), gt=version - 1, lte=version
        )
        return bool(found)

    def _is_logged(self, aggregate: str, version: int) -> bool:
        with self.log.store.reading() as db:
            return any(
                leaf.originator_version == version
                for leaf in self.log.tables.leaves_of(db, aggregate)
            )


def _grow(
    tree: Frontier, hashes: list[bytes], size: int, roots: dict[str, bytes], name: str
) -> list[dict[int, tuple[int, list[bytes]]]]:
    """Extend `tree` by `hashes`, keeping its root in `roots[name]` as it passes `size`; what
    each extension completed."""
    cut = size - tree.size
    if 0 < cut <= len(hashes):
        completed = [tree.extend(hashes[:cut])]
        roots[name] = tree.root()
        return [*completed, tree.extend(hashes[cut:])]
    return [tree.extend(hashes)]


def _conclude(
    report: LogReport,
    checkpoint: Checkpoint,
    signed_root: bytes | None,
    stored_root: bytes | None,
    found: list[str],
    log: AuditLog,
    stored: Frontier,
) -> None:
    problems = report.problems
    first = found[0] if found else None
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
        named = f": {first}" if first else ""
        problems.append(
            f"the integrated log was altered (it does not extend the checkpoint){named}"
        )
    elif first is not None:
        problems.append(first)
    problems.extend(found[1:])
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

    def add(self, completed: dict[int, tuple[int, list[bytes]]]) -> str | None:
        """The nodes one extension completed, level by level (lowest first)."""
        problem = None
        for level, (first, nodes) in completed.items():
            write_row(self.expected, {}, level, first, nodes)
            if level and level % HEIGHT == 0:  # the tops of the tiles below: those are done
                for index in range(first, first + len(nodes)):
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
