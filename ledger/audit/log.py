"""The audit log: every stored event, of every aggregate, a leaf of one Merkle tree, in
notification-log order.

Integration runs after commit, as the projections do: a page of the notification log is
read, each event's stored form hashed into a leaf (ledger/audit/leaves.py), the tree grown
from its right edge, and the page's leaves, its kept nodes, the new tree row and the log's
tracking position commit in ONE transaction (the position moved by compare and set). A page
is therefore integrated exactly once; a process killed mid-page leaves the last committed
tree, from which the next run goes on. Commands never wait for it.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from functools import partial
from typing import Any

from eventsourcing.application import Application

from ledger.audit.errors import IntegrityFailure
from ledger.audit.leaves import head
from ledger.audit.merkle import (
    Frontier,
    consistency_proof,
    inclusion_proof,
)
from ledger.audit.tiles import EMPTY, Key, along, get, place, write_row
from ledger.store.merkle_log import NAME, EventReader, LogTables, Row, TreeRow
from ledger.store.tracking import Db, StalePosition, ViewStore
from ledger.store.wakeup import wakeup

BATCH = 5000


@dataclass(frozen=True)
class Head:
    """The tree as integrated: its size and root hash, and the last notification in it."""

    size: int
    root: bytes
    notification_id: int


class AuditLog:
    """The Merkle log of one application's database."""

    def __init__(self, app: Application[Any], store: ViewStore) -> None:
        self.app = app
        self.store = store
        self.tables = LogTables(store)
        self.reader = EventReader(app.recorder)

    def head(self) -> Head:
        return _head(self._tree())

    def _tree(self) -> TreeRow:
        with self.store.reading() as db:
            return self.tables.tree(db)

    def integrate(self, batch: int = BATCH) -> int:
        """Add every stored event not yet in the tree; the number of leaves added."""
        added = 0
        tree, edge = self._state()  # its notification id is the tracking position
        with ExitStack() as stack:
            ahead = self._reader(stack, batch)
            page = ahead(tree.notification_id)
            while found := page():
                page = ahead(found[-1][0])  # the next page, read while this one commits
                try:
                    tree, edge = self._append(tree.notification_id, tree, edge, found)
                except StalePosition:  # another integrator took this page: go on from its tree
                    tree, edge = self._state()
                    page = ahead(tree.notification_id)
                    continue
                added += len(found)
        return added

    def _reader(self, stack: ExitStack, batch: int) -> Callable[[int], Callable[[], list[Row]]]:
        """`ahead(start)` starts reading the page after `start`; calling what it returns
        gives the page. On PostgreSQL it is read in a thread while the page before is hashed
        and committed (as the projections do); SQLite reads when asked."""

        def read(start: int) -> list[Row]:
            return self.reader.after(self.store, start, batch)

        if self.reader.hex:
            return lambda start: partial(read, start)
        pool = stack.enter_context(ThreadPoolExecutor(1, thread_name_prefix="audit-log-read"))
        return lambda start: pool.submit(read, start).result

    def _state(self) -> tuple[TreeRow, dict[Key, bytes]]:
        """The tree row and its right edge's tiles (the partial ones), read together."""
        with self.store.reading() as db:
            tree = self.tables.tree(db)
            edge = self.tables.tiles(db, along((), tree.size)) if tree.size else {}
        return tree, edge

    def _append(
        self, position: int, tree: TreeRow, edge: dict[Key, bytes], found: list[Row]
    ) -> tuple[TreeRow, dict[Key, bytes]]:
        """Hash a page into the tree and commit it: the hot loop of integration, written
        flat (ledger/audit/leaves.py and tiles.py say what it computes)."""
        frontier = Frontier.from_bytes(tree.size, tree.frontier)
        leaves: list[tuple[int, int, str, int, bytes]] = []
        digests: list[bytes] = []
        sha256, at = hashlib.sha256, tree.size
        for notification_id, aggregate, version, topic, state in found:
            digest = sha256(b"\x00" + head(aggregate, version, topic) + state).digest()
            digests.append(digest)
            leaves.append((at, notification_id, aggregate, version, digest))
            at += 1
        touched: dict[Key, bytearray] = {}
        for level, (first, nodes) in frontier.extend(digests).items():
            write_row(touched, edge, level, first, nodes)
        last = found[-1][0]
        grown = TreeRow(frontier.size, last, frontier.to_bytes())
        written = {key: bytes(tile) for key, tile in touched.items()}
        with self.store.advancing(NAME, position, last) as db:  # StalePosition if moved
            self.tables.append(db, leaves, written, grown, stored=edge.keys())
        right = along((), grown.size)
        return grown, {key: data for key, data in {**edge, **written}.items() if key in right}

    def follow(self, stop: threading.Event, poll_seconds: float = 0.5, batch: int = BATCH) -> int:
        """Integrate, then keep integrating new events until `stop` is set; the count.
        `poll_seconds` bounds the wait (SQLite polls; PostgreSQL is woken by NOTIFY)."""
        added = 0
        with wakeup(self.app.recorder) as news:
            while not stop.is_set():
                started = time.monotonic()
                added += self.integrate(batch)
                news.wait(stop, max(poll_seconds - (time.monotonic() - started), 0))
        return added

    def nodes(self, db: Db, size: int, positions: Sequence[int] = ()) -> TileNodes:
        """The nodes of the tree of `size`, the tiles along `positions` read at once."""
        return TileNodes(self.tables, db, along(positions, size) if size else set())

    def inclusion(self, db: Db, position: int, size: int) -> list[bytes]:
        return inclusion_proof(self.nodes(db, size, [position]), position, size)

    def consistency(self, db: Db, old: int, new: int) -> list[bytes]:
        return consistency_proof(self.nodes(db, new, [old - 1] if old else []), old, new)


def _head(tree: TreeRow) -> Head:
    root = Frontier.from_bytes(tree.size, tree.frontier).root()
    return Head(tree.size, root, tree.notification_id)


class TileNodes:
    """`Node` on the kept tiles: the tiles it was told of are read in one statement; a node
    outside them reads its tile then (one statement each)."""

    def __init__(self, tables: LogTables, db: Db, keys: set[Key]) -> None:
        self.tables = tables
        self.db = db
        self.tiles: dict[Key, bytes] = tables.tiles(db, keys) if keys else {}
        self.reads = 1 if keys else 0

    def __call__(self, level: int, index: int) -> bytes:
        key, slot = place(level, index)
        tile = self.tiles.get(key)
        if tile is None:
            self.tiles.update(self.tables.tiles(self.db, [key]))
            self.reads += 1
            tile = self.tiles.get(key, EMPTY)
        node = get(tile, slot)
        if node == EMPTY[: len(node)]:
            raise IntegrityFailure(
                f"integrity failure: the log's tiles lack the node of level {level} index "
                f"{index}: they were altered"
            )
        return node
