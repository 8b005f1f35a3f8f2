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

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from eventsourcing.application import Application

from ledger.audit.leaves import LoggedEvent
from ledger.audit.merkle import (
    Frontier,
    LeafNodes,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
)
from ledger.store.merkle_log import BLOCK, NAME, TIER, LeafRow, LogTables, TreeRow
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

    def head(self) -> Head:
        return _head(self._tree())

    def _tree(self) -> TreeRow:
        with self.store.reading() as db:
            return self.tables.tree(db)

    def integrate(self, batch: int = BATCH) -> int:
        """Add every stored event not yet in the tree; the number of leaves added."""
        added = 0
        tree = self._tree()
        position = tree.notification_id  # the tracking position, committed with the tree
        while True:
            found = self.app.recorder.select_notifications(
                start=position, limit=batch, inclusive_of_start=False
            )
            if not found:
                return added
            try:
                tree = self._append(position, tree, found)
            except StalePosition:  # another integrator took this page: go on from its tree
                tree = self._tree()
                position = tree.notification_id
                continue
            position = tree.notification_id
            added += len(found)

    def _append(self, position: int, tree: TreeRow, found: Sequence[Any]) -> TreeRow:
        frontier = Frontier.from_bytes(tree.size, tree.frontier)
        leaves: list[LeafRow] = []
        nodes: list[tuple[int, int, bytes]] = []
        for notification in found:
            event = LoggedEvent(
                str(notification.originator_id),
                notification.originator_version,
                notification.topic,
                notification.state,
            )
            digest = leaf_hash(event.data())
            leaves.append(
                LeafRow(
                    frontier.size,
                    notification.id,
                    event.originator_id,
                    event.originator_version,
                    digest,
                )
            )
            nodes.extend(node for node in frontier.append(digest)[TIER::TIER])
        last = found[-1].id
        grown = TreeRow(frontier.size, last, frontier.to_bytes())
        with self.store.advancing(NAME, position, last) as db:  # StalePosition if moved
            self.tables.append(db, leaves, nodes, grown)
        return grown

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

    def nodes(self, db: Db) -> StoredNodes:
        return StoredNodes(self.tables, db)

    def inclusion(self, db: Db, position: int, size: int) -> list[bytes]:
        return inclusion_proof(self.nodes(db), position, size)

    def consistency(self, db: Db, old: int, new: int) -> list[bytes]:
        return consistency_proof(self.nodes(db), old, new)


def _head(tree: TreeRow) -> Head:
    root = Frontier.from_bytes(tree.size, tree.frontier).root()
    return Head(tree.size, root, tree.notification_id)


class StoredNodes:
    """`Node` on the kept hashes: a perfect subtree whose height is a multiple of 8 is read
    (0: a leaf); one of another height is folded from the 256-aligned block of kept hashes
    below it, read once (so a proof reads about one block per 8 levels)."""

    def __init__(self, tables: LogTables, db: Db) -> None:
        self.tables = tables
        self.db = db
        self.blocks: dict[tuple[int, int], LeafNodes] = {}

    def __call__(self, level: int, index: int) -> bytes:
        base = level - level % TIER
        height = level - base
        first = index << height  # the subtree's first hash at the base level
        block = first // BLOCK
        nodes = self.blocks.get((base, block))
        if nodes is None:
            hashes = self.tables.hashes(self.db, base, block * BLOCK, (block + 1) * BLOCK)
            nodes = self.blocks[(base, block)] = LeafNodes(hashes)
        return nodes(height, index - (block * BLOCK >> height))
