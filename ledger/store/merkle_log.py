"""The tables of the audit log (the Merkle tree over every stored event), on the views' store.

- `audit_log_leaves`: one row per leaf: its position in the tree, the notification it
  hashes, that event's aggregate and version, and the leaf hash.
- `audit_log_tiles`: every node of the tree, in tiles of height 4 (ledger/audit/tiles.py):
  a proof reads one tile per tier, in one statement.
- `audit_log_tree`: one row, the tree as integrated: its size, the last notification id in
  it, and its right edge (`Frontier`), from which it grows.
- `audit_checkpoints`: every signed checkpoint, by tree size.

The leaves, nodes and tree row of a page of events commit in one transaction with the log's
tracking position (ledger/store/tracking.py), so a page is integrated exactly once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence, Set
from dataclasses import dataclass
from typing import Any

from eventsourcing.postgres import PostgresDatastore
from psycopg import sql

from ledger.store.tracking import Db, ViewStore, fixed

NAME = "audit.log"
LEAVES, TILES, TREE, CHECKPOINTS = (
    "audit_log_leaves",
    "audit_log_tiles",
    "audit_log_tree",
    "audit_checkpoints",
)
LOAD_CHUNK = 100  # tile indexes per tier in one statement (SQLite allows 999 parameters)


Row = tuple[int, str, int, str, bytes]  # notification id, aggregate id, version, topic, state


class EventReader:
    """The stored events after a notification id, as the log hashes them: plain tuples, the
    aggregate id as its canonical text (no UUID objects: a million of them cost seconds).
    The statement is the library's own `select_notifications` (fenced in
    tests/unit/test_library_fence.py) with the columns spelled out."""

    def __init__(self, recorder: Any) -> None:
        self.recorder = recorder
        datastore = recorder.datastore
        self.statement: sql.Composable
        if isinstance(datastore, PostgresDatastore):
            self.statement = fixed(
                sql.SQL(
                    "SELECT notification_id, originator_id::text, originator_version, topic, "
                    "state FROM {} WHERE notification_id > %s ORDER BY notification_id LIMIT %s"
                ).format(sql.Identifier(datastore.schema, recorder.events_table_name))
            )
            self.hex = False
        else:
            self.statement = sql.SQL(
                "SELECT rowid, originator_id, originator_version, topic, state FROM {} "
                "WHERE rowid > ? ORDER BY rowid LIMIT ?"
            ).format(sql.Identifier(recorder.events_table_name))
            self.hex = True

    def after(self, store: ViewStore, start: int, limit: int) -> list[Row]:
        with store.reading() as db:
            db.cursor.execute(
                self.statement.as_string(None) if self.hex else self.statement, (start, limit)
            )
            found = db.cursor.fetchall()
        if self.hex:  # SQLite keeps the id as 32 hex digits
            return [
                (r[0], f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}", r[2], r[3], r[4])
                for r in found
                if (h := r[1])
            ]
        return [  # psycopg's rows here are dicts
            (
                r["notification_id"],
                r["originator_id"],
                r["originator_version"],
                r["topic"],
                bytes(r["state"]),
            )
            for r in found
        ]


def schema(postgres: bool) -> list[sql.Composable]:
    blob = sql.SQL("BYTEA" if postgres else "BLOB")
    return [
        sql.SQL(
            "CREATE TABLE IF NOT EXISTS {} (position BIGINT PRIMARY KEY, "
            "notification_id BIGINT NOT NULL, originator_id TEXT NOT NULL, "
            "originator_version BIGINT NOT NULL, leaf_hash {} NOT NULL)"
        ).format(sql.Identifier(LEAVES), blob),
        sql.SQL("CREATE INDEX IF NOT EXISTS {} ON {} (originator_id, originator_version)").format(
            sql.Identifier(LEAVES + "_by_originator"), sql.Identifier(LEAVES)
        ),
        sql.SQL(
            "CREATE TABLE IF NOT EXISTS {} (tier INTEGER NOT NULL, idx BIGINT NOT NULL, "
            "hashes {} NOT NULL, PRIMARY KEY (tier, idx))"
        ).format(sql.Identifier(TILES), blob),
        sql.SQL(
            "CREATE TABLE IF NOT EXISTS {} (id INTEGER PRIMARY KEY CHECK (id = 1), "
            "size BIGINT NOT NULL, notification_id BIGINT NOT NULL, frontier {} NOT NULL)"
        ).format(sql.Identifier(TREE), blob),
        sql.SQL(
            "CREATE TABLE IF NOT EXISTS {} (size BIGINT PRIMARY KEY, root {} NOT NULL, "
            "note TEXT NOT NULL, signed_at TEXT NOT NULL)"
        ).format(sql.Identifier(CHECKPOINTS), blob),
    ]


@dataclass(frozen=True)
class TreeRow:
    size: int
    notification_id: int
    frontier: bytes


@dataclass(frozen=True)
class LeafRow:
    position: int
    notification_id: int
    originator_id: str
    originator_version: int
    leaf_hash: bytes


class LogTables:
    """Reads and writes of the audit log's tables (made on first use)."""

    def __init__(self, store: ViewStore) -> None:
        self.store = store
        store.ensure(NAME, schema(not getattr(store, "qmark", False)))

    def tree(self, db: Db) -> TreeRow:
        found = db.rows(
            sql.SQL("SELECT size, notification_id, frontier FROM {} WHERE id = 1").format(
                sql.Identifier(TREE)
            )
        )
        if not found:
            return TreeRow(0, 0, b"")
        row = found[0]
        return TreeRow(int(row["size"]), int(row["notification_id"]), bytes(row["frontier"]))

    def append(
        self,
        db: Db,
        leaves: Sequence[tuple[int, int, str, int, bytes]],
        tiles: Mapping[tuple[int, int], bytes],
        tree: TreeRow,
        stored: Set[tuple[int, int]] = frozenset(),
    ) -> None:
        """In `db`'s transaction: new leaves, the tiles they changed (those in `stored` were
        written before and are replaced; the others are new), and the tree row."""
        db.insert_many(
            LEAVES,
            ("position", "notification_id", "originator_id", "originator_version", "leaf_hash"),
            leaves,
        )
        db.insert_many(
            TILES,
            ("tier", "idx", "hashes"),
            [
                (tier, idx, data)
                for (tier, idx), data in sorted(tiles.items())
                if (tier, idx) not in stored
            ],
        )
        db.executemany(
            sql.SQL("UPDATE {} SET hashes = %s WHERE tier = %s AND idx = %s").format(
                sql.Identifier(TILES)
            ),
            [
                (data, tier, idx)
                for (tier, idx), data in sorted(tiles.items())
                if (tier, idx) in stored
            ],
        )
        db.execute(sql.SQL("DELETE FROM {}").format(sql.Identifier(TREE)))
        db.execute(
            sql.SQL(
                "INSERT INTO {} (id, size, notification_id, frontier) VALUES (1, %s, %s, %s)"
            ).format(sql.Identifier(TREE)),
            (tree.size, tree.notification_id, tree.frontier),
        )

    def tiles(self, db: Db, keys: Iterable[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
        """The stored tiles of the given (tier, index) keys (a missing one is left out)."""
        by_tier: dict[int, list[int]] = {}
        for tier, idx in sorted(set(keys)):
            by_tier.setdefault(tier, []).append(idx)
        found: dict[tuple[int, int], bytes] = {}
        groups = [(tier, idxs[i : i + LOAD_CHUNK]) for tier, idxs in by_tier.items()
                  for i in range(0, len(idxs), LOAD_CHUNK)]  # fmt: skip
        for start in range(0, len(groups), 8):  # a few tiers' index lists per statement
            chunk = groups[start : start + 8]
            statement = sql.SQL("SELECT tier, idx, hashes FROM {} WHERE {}").format(
                sql.Identifier(TILES),
                sql.SQL(" OR ").join(
                    sql.SQL("(tier = %s AND idx IN ({}))").format(
                        sql.SQL(", ").join(sql.Placeholder() * len(idxs))
                    )
                    for _, idxs in chunk
                ),
            )
            params = [value for tier, idxs in chunk for value in (tier, *idxs)]
            for row in db.rows(statement, params):
                found[(int(row["tier"]), int(row["idx"]))] = bytes(row["hashes"])
        return found

    def tiles_from(self, db: Db, tier: int, start: int, limit: int) -> list[tuple[int, bytes]]:
        """The tiles of one tier from index `start` on, in order (for the check)."""
        rows = db.rows(
            sql.SQL(
                "SELECT idx, hashes FROM {} WHERE tier = %s AND idx >= %s ORDER BY idx LIMIT %s"
            ).format(sql.Identifier(TILES)),
            (tier, start, limit),
        )
        return [(int(row["idx"]), bytes(row["hashes"])) for row in rows]

    def leaves_of(self, db: Db, originator_id: str) -> list[LeafRow]:
        """The leaves of one aggregate's events, in version order."""
        rows = db.rows(
            sql.SQL(
                "SELECT position, notification_id, originator_id, originator_version, leaf_hash "
                "FROM {} WHERE originator_id = %s ORDER BY originator_version"
            ).format(sql.Identifier(LEAVES)),
            (originator_id,),
        )
        return [_leaf(row) for row in rows]

    def leaves_between(self, db: Db, start: int, end: int) -> list[LeafRow]:
        rows = db.rows(
            sql.SQL(
                "SELECT position, notification_id, originator_id, originator_version, leaf_hash "
                "FROM {} WHERE position >= %s AND position < %s ORDER BY position"
            ).format(sql.Identifier(LEAVES)),
            (start, end),
        )
        return [_leaf(row) for row in rows]

    def add_checkpoint(self, db: Db, size: int, root: bytes, note: str, signed_at: str) -> None:
        db.execute(
            sql.SQL(
                "INSERT INTO {} (size, root, note, signed_at) VALUES (%s, %s, %s, %s) "
                "ON CONFLICT (size) DO NOTHING"
            ).format(sql.Identifier(CHECKPOINTS)),
            (size, root, note, signed_at),
        )

    def checkpoint_of_size(self, db: Db, size: int) -> str | None:
        found = db.rows(
            sql.SQL("SELECT note FROM {} WHERE size = %s").format(sql.Identifier(CHECKPOINTS)),
            (size,),
        )
        return str(found[0]["note"]) if found else None

    def replace_note(self, db: Db, size: int, note: str) -> None:
        """The kept checkpoint of `size` with more signatures (witnesses' cosignatures)."""
        db.execute(
            sql.SQL("UPDATE {} SET note = %s WHERE size = %s").format(sql.Identifier(CHECKPOINTS)),
            (note, size),
        )

    def latest_checkpoint(self, db: Db) -> str | None:
        found = db.rows(
            sql.SQL("SELECT note FROM {} ORDER BY size DESC LIMIT 1").format(
                sql.Identifier(CHECKPOINTS)
            )
        )
        return str(found[0]["note"]) if found else None


def _leaf(row: dict[str, Any]) -> LeafRow:
    return LeafRow(
        int(row["position"]),
        int(row["notification_id"]),
        str(row["originator_id"]),
        int(row["originator_version"]),
        bytes(row["leaf_hash"]),
    )
