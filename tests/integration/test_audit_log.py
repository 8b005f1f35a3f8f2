"""The audit log on each back end: every stored event a leaf, integrated exactly once, the
same tree whatever the page size or the number of integrators, and proofs from its kept
nodes equal to proofs from the leaves themselves."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest

from ledger.app.service import RefundLedger
from ledger.audit.leaves import LoggedEvent
from ledger.audit.log import AuditLog, TileNodes
from ledger.audit.merkle import (
    Frontier,
    LeafNodes,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    verify_consistency,
    verify_inclusion,
)
from ledger.audit.tiles import along, write_row
from ledger.demo import run_demo
from ledger.store.merkle_log import LogTables, TreeRow
from ledger.store.tracking import open_store


def _demo(make_app: Callable[..., RefundLedger], database_url: str) -> RefundLedger:
    run_demo(lambda clock: make_app(database_url, clock=clock), lambda line: None)
    return make_app(database_url)


def _leaves_of_the_events(app: RefundLedger) -> list[bytes]:
    """Every stored event's leaf hash, read from the events table itself."""
    found = app.recorder.select_notifications(start=None, limit=1_000_000)
    return [
        leaf_hash(LoggedEvent(str(n.originator_id), n.originator_version, n.topic, n.state).data())
        for n in found
    ]


def test_every_stored_event_of_every_aggregate_is_a_leaf_in_log_order(
    make_app: Callable[..., RefundLedger], database_url: str
) -> None:
    app = _demo(make_app, database_url)
    log = AuditLog(app, open_store(app))
    expected = _leaves_of_the_events(app)
    assert log.integrate(batch=97) == len(expected) > 256  # past one block of kept nodes
    head = log.head()
    assert head.size == len(expected)
    assert head.root == LeafNodes(expected).root()
    assert head.notification_id == app.recorder.max_notification_id()
    topics = {n.topic.rpartition(":")[2] for n in app.recorder.select_notifications(None, 10**6)}
    assert {"Requested", "OrderCaptured", "Approved"} <= topics or len(topics) > 3
    assert log.integrate() == 0  # nothing twice


def test_the_tree_is_the_same_whatever_the_page_size(
    make_app: Callable[..., RefundLedger], database_url: str
) -> None:
    app = _demo(make_app, database_url)
    roots = set()
    for batch in (1, 7, 5000):
        store = open_store(app)
        log = AuditLog(app, store)
        store.reset("audit.log", ("audit_log_leaves", "audit_log_tiles", "audit_log_tree"))
        log.integrate(batch=batch)
        roots.add(log.head().root)
    assert len(roots) == 1


def test_two_integrators_at_once_build_one_tree(
    make_app: Callable[..., RefundLedger], database_url: str
) -> None:
    app = _demo(make_app, database_url)
    expected = LeafNodes(_leaves_of_the_events(app)).root()
    logs = [AuditLog(app, open_store(app)) for _ in range(2)]
    counts: list[int] = []
    threads = [threading.Thread(target=lambda g=g: counts.append(g.integrate(5))) for g in logs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(counts) == len(_leaves_of_the_events(app))  # each page by one of them
    assert logs[0].head().root == logs[1].head().root == expected
    with logs[0].store.reading() as db:
        positions = [row.position for row in logs[0].tables.leaves_between(db, 0, 10**6)]
    assert positions == list(range(len(positions)))


def test_proofs_from_the_kept_nodes_are_the_proofs_of_the_leaves(
    make_app: Callable[..., RefundLedger], database_url: str
) -> None:
    app = _demo(make_app, database_url)
    log = AuditLog(app, open_store(app))
    log.integrate()
    leaves = _leaves_of_the_events(app)
    memory = LeafNodes(leaves)
    size, root = len(leaves), memory.root()
    with log.store.reading() as db:
        for position in (0, 1, 255, 256, 300, size - 1):
            proof = log.inclusion(db, position, size)
            assert proof == inclusion_proof(memory, position, size)
            assert verify_inclusion(position, size, leaves[position], proof, root)
        for old in (1, 200, 256, 257, size - 1):
            proof = log.consistency(db, old, size)
            assert proof == consistency_proof(memory, old, size)
            assert verify_consistency(old, size, memory.root(old), root, proof)


@pytest.mark.parametrize("size", [65_536 + 300])
def test_tiles_serve_proofs_across_tiers_in_one_read(memory_url: str, size: int) -> None:
    """Past 65,536 leaves a proof reads five tiers of tiles (written as the integrator writes
    them), all in one statement."""
    from ledger.bootstrap import bootstrap
    from ledger.config import Settings

    container = bootstrap(Settings(database_url=memory_url))
    try:
        tables = LogTables(open_store(container.ledger))
        leaves = [leaf_hash(i.to_bytes(4, "big")) for i in range(size)]
        frontier = Frontier()
        rows: list[tuple[int, int, str, int, bytes]] = []
        tiles: dict[tuple[int, int], bytearray] = {}
        for position, digest in enumerate(leaves):
            rows.append((position, position + 1, "x", position, digest))
            for level, index, node in frontier.append(digest):
                write_row(tiles, {}, level, index, [node])
        assert {tier for tier, _ in tiles} == {0, 1, 2, 3, 4}
        with tables.store.writing() as db:
            written = {key: bytes(tile) for key, tile in tiles.items()}
            tables.append(db, rows, written, TreeRow(size, size, frontier.to_bytes()))
        memory = LeafNodes(leaves)
        positions = [0, 65_535, 65_536, size - 1]
        with tables.store.reading() as db:
            nodes = TileNodes(tables, db, along(positions, size))
            for position in positions:
                assert inclusion_proof(nodes, position, size) == inclusion_proof(
                    memory, position, size
                )
            assert nodes.reads == 1  # every tile the proofs needed, in the one statement
            assert consistency_proof(nodes, 65_537, size) == consistency_proof(memory, 65_537, size)
    finally:
        container.close()
