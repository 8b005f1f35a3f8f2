"""Group commit: concurrent saves share a transaction, and each keeps its own outcome."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Sequence

import pytest
from eventsourcing.persistence import IntegrityError, StoredEvent
from waiting import PATIENCE, wait_until

from ledger.store.group_commit import GroupCommit

X, Y, Z, W = (uuid.uuid4() for _ in range(4))


def event(originator: uuid.UUID, version: int) -> StoredEvent:
    return StoredEvent(originator, version, "topic", b"{}")


class Store:
    """A fake event store: a unique (originator, version) index and one id per event; the
    first transaction says it is `at_gate` and waits for `gate` so that others queue behind
    it."""

    def __init__(self, existing: Sequence[StoredEvent] = ()) -> None:
        self.keys = {(e.originator_id, e.originator_version) for e in existing}
        self.transactions: list[list[tuple[uuid.UUID | str, int]]] = []
        self.gate = threading.Event()
        self.at_gate = threading.Event()
        self.next_id = 1

    def insert(self, events: Sequence[StoredEvent]) -> Sequence[int]:
        if not self.transactions:
            self.at_gate.set()
            self.gate.wait(PATIENCE)
        keys = [(e.originator_id, e.originator_version) for e in events]
        self.transactions.append(keys)
        if self.keys & set(keys):
            raise IntegrityError("duplicate key value violates unique constraint")
        self.keys |= set(keys)
        ids = list(range(self.next_id, self.next_id + len(events)))
        self.next_id += len(events)
        return ids


def save_concurrently(
    group: GroupCommit, store: Store, saves: list[list[StoredEvent]]
) -> list[Sequence[int] | None | BaseException]:
    """The first save takes the lead and waits at the gate; the others queue; then go."""
    outcomes: list[Sequence[int] | None | BaseException] = [None] * len(saves)

    def save(index: int) -> None:
        try:
            outcomes[index] = group.insert(saves[index])
        except IntegrityError as error:
            outcomes[index] = error

    threads = [threading.Thread(target=save, args=(i,)) for i in range(len(saves))]
    threads[0].start()
    assert store.at_gate.wait(PATIENCE), "the first save never reached the store"
    for thread in threads[1:]:
        thread.start()
    wait_until(lambda: group.waiting == len(saves) - 1, "the other saves to queue", 0.001)
    store.gate.set()
    for thread in threads:
        thread.join(PATIENCE)
    return outcomes


def test_a_lone_save_is_one_transaction() -> None:
    store = Store()
    store.gate.set()
    group = GroupCommit(store.insert)

    assert group.insert([event(X, 1), event(X, 2)]) == [1, 2]
    assert store.transactions == [[(X, 1), (X, 2)]]


def test_saves_that_queue_behind_a_transaction_share_the_next_one() -> None:
    store = Store()
    group = GroupCommit(store.insert)

    outcomes = save_concurrently(
        group, store, [[event(X, 1)], [event(Y, 1), event(Y, 2)], [event(Z, 1)], [event(W, 1)]]
    )

    assert len(store.transactions) == 2
    assert store.transactions[0] == [(X, 1)]
    assert sorted(store.transactions[1]) == sorted([(Y, 1), (Y, 2), (Z, 1), (W, 1)])
    assert outcomes[0] == [1]
    # each caller gets the notification ids of its own events
    assert sorted(len(o) for o in outcomes[1:] if isinstance(o, list)) == [1, 1, 2]
    assert sorted(i for o in outcomes if isinstance(o, list) for i in o) == [1, 2, 3, 4, 5]


def test_a_conflict_in_a_shared_transaction_fails_only_the_conflicting_save() -> None:
    store = Store(existing=[event(Y, 1)])  # another process saved Y's version 1 first
    group = GroupCommit(store.insert)

    outcomes = save_concurrently(
        group, store, [[event(X, 1)], [event(Y, 1)], [event(Z, 1)], [event(W, 1)]]
    )

    by_key = {key for keys in store.transactions[1:] for key in keys}
    assert by_key == {(Y, 1), (Z, 1), (W, 1)}
    assert (Z, 1) in store.keys and (W, 1) in store.keys
    failed = [o for o in outcomes if isinstance(o, IntegrityError)]
    assert len(failed) == 1
    assert sum(isinstance(o, list) for o in outcomes) == 3


def test_saves_of_the_same_version_never_share_a_transaction() -> None:
    store = Store()
    group = GroupCommit(store.insert)

    outcomes = save_concurrently(
        group, store, [[event(X, 1)], [event(Y, 1), event(Z, 1)], [event(Z, 1)], [event(W, 1)]]
    )

    assert len(store.transactions) == 3
    assert all(len(set(keys)) == len(keys) for keys in store.transactions)
    # the later writer of Z's version 1 loses cleanly, as a stale writer does
    assert [isinstance(o, IntegrityError) for o in outcomes[1:3]].count(True) == 1
    assert {(Y, 1), (Z, 1), (W, 1)} <= store.keys


def test_an_unexpected_error_reaches_the_save_and_leaves_the_group_usable() -> None:
    def broken(events: Sequence[StoredEvent]) -> Sequence[int]:
        raise OSError("connection lost")

    group = GroupCommit(broken)

    for _ in range(2):  # the lead was handed back: a second save does not hang
        with pytest.raises(OSError, match="connection lost"):
            group.insert([event(X, 1)])
    assert group.waiting == 0
