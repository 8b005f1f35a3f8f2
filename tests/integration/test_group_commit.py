"""Threads of one process share an application: their saves share transactions (group
commit) and every guarantee holds per command: the order cap, optimistic concurrency, the
hash chains and their checkpoint, the notification log's order."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

import psycopg
from eventsourcing.persistence import IntegrityError, StoredEvent
from waiting import PATIENCE, wait_until

from ledger.app.intake import Intake
from ledger.app.service import RefundLedger
from ledger.audit.rows import verify_store
from ledger.domain.errors import AmountExceedsRefundable
from ledger.domain.order import OrderBalance
from ledger.store.group_commit import GroupCommit

from .support import AGENT, FINANCE, MANAGER, event_count, form

THREADS = 8


def in_threads(work: Callable[[int], object], threads: int = THREADS) -> list[Any]:
    """Run work(0..threads-1) in threads that start together; return results or errors."""
    start = threading.Barrier(threads)
    results: list[Any] = [None] * threads

    def run(index: int) -> None:
        start.wait(10)
        try:
            results[index] = work(index)
        except Exception as error:
            results[index] = error

    pool = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(120)
    return results


def test_threads_saving_together_each_keep_their_own_refunds(
    make_app: Callable[..., RefundLedger], database_url: str
) -> None:
    app = make_app(database_url)

    def lifecycle(index: int) -> list[str]:
        statuses = []
        for n in range(5):
            refund = app.request(
                AGENT, form(order_id=f"O-{index}-{n}", customer_id=f"C-{index}", amount="80.00")
            )
            app.approve(refund.id, MANAGER, None, None)
            app.start_payout(refund.id, FINANCE, None)
            statuses.append(app.settle_payout(refund.id, FINANCE, f"PSP-{index}-{n}").status)
        return statuses

    results = in_threads(lifecycle)

    assert results == [["paid"] * 5] * THREADS
    assert verify_store(app).intact
    ids = [n.id for n in app.recorder.select_notifications(start=1, limit=10_000)]
    assert ids == sorted(ids) and len(ids) == event_count(app)
    group: GroupCommit = app.recorder.group_commit  # type: ignore[attr-defined]
    assert group.batches < THREADS * 5 * 4  # some saves really shared a transaction


def test_threads_racing_on_one_order_never_exceed_its_captured_total(
    make_app: Callable[..., RefundLedger], database_url: str
) -> None:
    app = make_app(database_url)

    def requests(index: int) -> list[str]:
        outcomes = []
        for _ in range(5):
            try:
                app.request(AGENT, form(order_id="O-RACE", customer_id="C-RACE", amount="10.00"))
                outcomes.append("accepted")
            except AmountExceedsRefundable:
                outcomes.append("refused")
        return outcomes

    results = in_threads(requests)

    flat = [outcome for outcomes in results for outcome in outcomes]
    assert flat.count("accepted") == 10 and flat.count("refused") == 30, results
    balance: OrderBalance = app.repository.get(OrderBalance.id_for("O-RACE"))
    assert balance.refundable() == Decimal("0.00")
    assert verify_store(app).intact


def test_a_conflict_in_a_shared_transaction_fails_only_its_own_save(
    make_app: Callable[..., RefundLedger], database_url: str
) -> None:
    app = make_app(database_url)
    taken = app.request(AGENT, form(order_id="O-TAKEN"))
    stale = app.mapper.to_stored_event(next(iter(app.events.get(taken.id))))  # version 1 again
    inner = app.recorder.group_commit._insert  # type: ignore[attr-defined]
    gate = threading.Event()
    calls: list[int] = []

    def gated(events: Sequence[StoredEvent]) -> Sequence[int] | None:
        calls.append(len(events))
        if len(calls) == 1:
            gate.wait(PATIENCE)  # the first save holds the line while the others queue
        result: Sequence[int] | None = inner(events)
        return result

    group = GroupCommit(gated)
    fresh = [fresh_events(app, f"O-{n}") for n in range(3)]
    saves: list[Sequence[StoredEvent]] = [fresh[0], [stale], fresh[1], fresh[2]]
    outcomes: list[Any] = [None] * len(saves)

    def save(index: int) -> None:
        try:
            outcomes[index] = group.insert(saves[index])
        except IntegrityError as error:
            outcomes[index] = error

    threads = [threading.Thread(target=save, args=(i,)) for i in range(len(saves))]
    threads[0].start()
    wait_until(lambda: calls, "the first save to reach the store", 0.001)
    for thread in threads[1:]:
        thread.start()
    wait_until(lambda: group.waiting == 3, "the other saves to queue", 0.001)
    gate.set()
    for thread in threads:
        thread.join(PATIENCE)

    assert isinstance(outcomes[1], IntegrityError)
    assert all(isinstance(outcomes[i], list) for i in (0, 2, 3)), outcomes
    stored = {str(n.originator_id) for n in app.recorder.select_notifications(1, 10_000)}
    assert all(str(events[0].originator_id) in stored for events in fresh)
    assert verify_store(app).intact


def fresh_events(app: RefundLedger, order_id: str) -> list[StoredEvent]:
    """The stored events of a new request on a new order by a new customer, not yet saved."""
    new = form(order_id=order_id, customer_id=f"C-{order_id}")
    refund, others = Intake(app.policy, lambda _: None).open(
        uuid.uuid4(), AGENT, new, new.fingerprint(str(AGENT)), app.clock()
    )
    events = [e for agg in (refund, *others) if agg is not None for e in agg.collect_events()]
    return [app.mapper.to_stored_event(e) for e in events]


def test_an_insert_waits_for_an_uncommitted_one_so_ids_follow_commit_order(
    make_app: Callable[..., RefundLedger], postgres_url: str
) -> None:
    # The one-statement insert keeps the library's EXCLUSIVE table lock: while one insert
    # is uncommitted, another (here from a second pool, as from another process) waits, so
    # a reader resuming after the last id it saw never skips an event committed later.
    first, second = make_app(postgres_url), make_app(postgres_url)
    recorder: Any = first.recorder
    held, waiting = fresh_events(first, "O-HELD"), fresh_events(first, "O-WAITING")
    done: list[Sequence[int] | None] = []
    with psycopg.connect(postgres_url) as conn:  # a transaction left open
        params = recorder.insert_params(held)
        held_ids = [row[0] for row in conn.execute(recorder.call_insert_function, params)]
        other = threading.Thread(target=lambda: done.append(second.recorder.insert_events(waiting)))
        other.start()
        wait_until(lambda: _lock_waits(postgres_url) or done, "the second insert to block", 0.05)
        assert not done, "the second insert did not wait for the first one's commit"
        conn.commit()
    other.join(PATIENCE)

    [waiting_ids] = done
    assert waiting_ids is not None and min(waiting_ids) > max(held_ids)
    ids = [n.id for n in first.recorder.select_notifications(1, 100)]
    assert ids == sorted(held_ids + list(waiting_ids))


def _lock_waits(database_url: str) -> int:
    """How many sessions on the database wait for a lock (as the blocked insert does)."""
    with psycopg.connect(database_url) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND wait_event_type = 'Lock'"
        ).fetchone()
    return int(row[0]) if row else 0
