"""The `Idempotency-Key` store on SQLite and PostgreSQL: reserve, complete, replay, expire.

Who owns a pending key, and when it is taken over: test_replay_owners.py."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import anyio
import pytest
from psycopg import sql

from api.idempotency import Idempotency
from ledger.app.service import RefundLedger
from ledger.store.replays import (
    TABLE,
    InProgress,
    Mismatch,
    Outcome,
    Replay,
    ReplayStore,
    Reserved,
    StoredResponse,
    fingerprint,
)
from ledger.store.tracking import open_store

from .replay_support import (
    BOB,
    CREATED,
    FIRST,
    MIA,
    OTHER,
    far_owner,
    kill,
    owner_process,
    released,
)
from .support import (
    FakeClock,
    replays_on,
    shared_database_url,  # noqa: F401  (its database is shared with processes)
)

RACERS = 8


def stored_keys(replays: ReplayStore) -> list[tuple[str, str]]:
    with replays.store.reading() as db:
        rows = db.rows(
            sql.SQL("SELECT scope, idempotency_key FROM {} ORDER BY idempotency_key").format(
                sql.Identifier(TABLE)
            )
        )
    return [(row["scope"], row["idempotency_key"]) for row in rows]


def test_a_completed_request_is_replayed_byte_for_byte(
    replays: ReplayStore,
    make_app: Callable[..., RefundLedger],
    database_url: str,
    opened: Callable[[ReplayStore], ReplayStore],
) -> None:
    assert replays.reserve(BOB, "k-1", FIRST) == Reserved()
    replays.complete(BOB, "k-1", CREATED)

    assert replays.reserve(BOB, "k-1", FIRST) == Replay(CREATED)
    elsewhere = opened(replays_on(make_app(database_url)))  # another owner, same database
    assert elsewhere.reserve(BOB, "k-1", FIRST) == Replay(CREATED)


def test_the_same_key_on_another_request_is_a_mismatch(replays: ReplayStore) -> None:
    replays.reserve(BOB, "k-1", FIRST)
    assert replays.reserve(BOB, "k-1", OTHER) == Mismatch()

    replays.complete(BOB, "k-1", CREATED)
    assert replays.reserve(BOB, "k-1", OTHER) == Mismatch()
    assert replays.reserve(BOB, "k-1", FIRST) == Replay(CREATED)


def test_a_retry_while_the_first_request_runs_is_in_progress(
    replays: ReplayStore, clock: FakeClock
) -> None:
    replays.reserve(BOB, "k-1", FIRST)
    clock.advance(seconds=59)

    assert replays.reserve(BOB, "k-1", FIRST) == InProgress()


def test_a_completed_row_past_keep_for_is_forgotten(replays: ReplayStore, clock: FakeClock) -> None:
    replays.reserve(BOB, "k-1", FIRST)
    replays.complete(BOB, "k-1", CREATED)
    clock.advance(hours=23, minutes=59)
    assert replays.reserve(BOB, "k-1", FIRST) == Replay(CREATED)

    clock.advance(minutes=2)
    assert replays.reserve(BOB, "k-1", OTHER) == Reserved()
    assert replays.reserve(BOB, "k-1", OTHER) == InProgress()
    assert replays.reserve(BOB, "k-1", FIRST) == Mismatch()


def test_a_released_key_runs_again(replays: ReplayStore) -> None:
    replays.reserve(BOB, "k-1", FIRST)
    replays.release(BOB, "k-1")

    assert replays.reserve(BOB, "k-1", FIRST) == Reserved()


def test_release_leaves_a_completed_response_alone(replays: ReplayStore) -> None:
    replays.reserve(BOB, "k-1", FIRST)
    replays.complete(BOB, "k-1", CREATED)
    replays.release(BOB, "k-1")

    assert replays.reserve(BOB, "k-1", FIRST) == Replay(CREATED)


def test_complete_stores_only_the_first_response(replays: ReplayStore) -> None:
    replays.reserve(BOB, "k-1", FIRST)
    replays.complete(BOB, "k-1", CREATED)
    replays.complete(BOB, "k-1", StoredResponse(500, (), b"late"))

    assert replays.reserve(BOB, "k-1", FIRST) == Replay(CREATED)


def test_scopes_never_share_a_key(replays: ReplayStore) -> None:
    mias = StoredResponse(201, (("location", "/refunds/r-2"),), b'{"id": "r-2"}')
    assert replays.reserve(BOB, "k-1", FIRST) == Reserved()
    assert replays.reserve(MIA, "k-1", OTHER) == Reserved()
    replays.complete(BOB, "k-1", CREATED)
    replays.complete(MIA, "k-1", mias)

    assert replays.reserve(BOB, "k-1", FIRST) == Replay(CREATED)
    assert replays.reserve(MIA, "k-1", OTHER) == Replay(mias)


def race(stores: list[ReplayStore], key: str) -> list[Outcome]:
    """Every store reserves (BOB, key) at once, each from a thread of its own."""
    start = threading.Barrier(len(stores))

    def reserve(store: ReplayStore) -> Outcome:
        start.wait(timeout=30)
        return store.reserve(BOB, key, FIRST)

    with ThreadPoolExecutor(max_workers=len(stores)) as pool:
        return list(pool.map(reserve, stores))


@pytest.fixture
def racers(
    make_app: Callable[..., RefundLedger],
    database_url: str,
    clock: FakeClock,
    opened: Callable[[ReplayStore], ReplayStore],
) -> list[ReplayStore]:
    """RACERS stores on one database, each on an application (a connection pool) of its own."""
    return [opened(replays_on(make_app(database_url, clock=clock))) for _ in range(RACERS)]


def test_of_concurrent_reservations_of_a_new_key_exactly_one_wins(
    racers: list[ReplayStore],
) -> None:
    for round_no in range(5):
        outcomes = race(racers, f"k-{round_no}")

        assert outcomes.count(Reserved()) == 1, outcomes
        assert outcomes.count(InProgress()) == RACERS - 1, outcomes


def test_of_concurrent_take_overs_of_a_dead_owners_key_exactly_one_wins(
    racers: list[ReplayStore], clock: FakeClock, database_url: str
) -> None:
    keys = [f"k-{round_no}" for round_no in range(5)]
    with owner_process(database_url, clock(), BOB, FIRST, keys) as owner:
        kill(owner)
        released(database_url, owner.pid)

        for key in keys:
            outcomes = race(racers, key)

            assert outcomes.count(Reserved()) == 1, outcomes
            assert outcomes.count(InProgress()) == RACERS - 1, outcomes


def test_purge_deletes_only_the_rows_older_than_keep_for(
    replays: ReplayStore, clock: FakeClock
) -> None:
    replays.reserve(BOB, "k-1", FIRST)
    replays.complete(BOB, "k-1", CREATED)
    replays.reserve(MIA, "k-2", FIRST)  # pending, never completed
    clock.advance(hours=12)
    replays.reserve(BOB, "k-3", FIRST)
    replays.complete(BOB, "k-3", CREATED)
    clock.advance(hours=12, seconds=1)

    assert replays.purge() == 2
    assert stored_keys(replays) == [(BOB, "k-3")]
    assert replays.purge() == 0
    assert replays.reserve(BOB, "k-3", FIRST) == Replay(CREATED)


def test_keep_for_and_stale_after_can_be_set(
    app: RefundLedger, clock: FakeClock, opened: Callable[[ReplayStore], ReplayStore]
) -> None:
    stale, keep = timedelta(seconds=5), timedelta(minutes=1)
    there = opened(
        ReplayStore(open_store(app), clock, stale, keep, owner=far_owner(), renews=False)
    )
    replays = opened(ReplayStore(open_store(app), clock, stale, keep))
    there.reserve(BOB, "k-1", FIRST)
    clock.advance(seconds=6)
    assert replays.reserve(BOB, "k-1", FIRST) == Reserved()

    replays.complete(BOB, "k-1", CREATED)
    clock.advance(minutes=2)
    assert replays.purge() == 1


class WatchedReplays(ReplayStore):
    """The real store, noting whether the client had any of the answer when it was kept."""

    def __init__(self, store: ReplayStore, sent: list[object]) -> None:
        super().__init__(store.store, store.clock)  # an owner of its own
        self.sent, self.sent_when_kept = sent, list[int]()

    def complete(self, scope: str, key: str, response: StoredResponse) -> None:
        self.sent_when_kept.append(len(self.sent))
        super().complete(scope, key, response)


def test_the_answer_leaves_only_once_it_is_kept(
    replays: ReplayStore, opened: Callable[[ReplayStore], ReplayStore]
) -> None:
    sent: list[object] = []
    watched = WatchedReplays(replays, sent)
    opened(watched)

    async def command(scope: object, receive: object, send: Callable[..., object]) -> None:
        await send({"type": "http.response.start", "status": 201, "headers": []})  # type: ignore[misc]
        await send({"type": "http.response.body", "body": b"{}"})  # type: ignore[misc]

    async def client(message: object) -> None:
        sent.append(message)

    async def nothing() -> dict[str, object]:
        return {"type": "http.disconnect"}

    scope = {"type": "http", "method": "POST", "path": "/refunds", "query_string": b"",
             "headers": [(b"idempotency-key", b"K-1")], "state": {"actor": BOB}}  # fmt: skip
    anyio.run(Idempotency(command, watched), scope, nothing, client)

    assert watched.sent_when_kept == [0]
    assert len(sent) == 2
    assert isinstance(replays.reserve(BOB, "K-1", fingerprint("POST", "/refunds", b"")), Replay)


@pytest.mark.parametrize(
    ("status", "kept"),
    [(200, True), (201, True), (409, True)]
    + [(status, False) for status in (400, 401, 403, 404, 405, 413, 415, 422, 500, 503)],
)
def test_only_the_answers_of_commands_the_actor_may_run_keep_their_key(
    replays: ReplayStore, status: int, kept: bool
) -> None:
    """Refusals of the actor (401, 403, a customer's 404) are released like input errors and
    failures, so that refused callers cannot fill the store; a retry runs afresh."""
    sent: list[object] = []

    async def command(scope: object, receive: object, send: Callable[..., object]) -> None:
        await send({"type": "http.response.start", "status": status, "headers": []})  # type: ignore[misc]
        await send({"type": "http.response.body", "body": b"{}"})  # type: ignore[misc]

    async def client(message: object) -> None:
        sent.append(message)

    async def nothing() -> dict[str, object]:
        return {"type": "http.disconnect"}

    scope = {"type": "http", "method": "POST", "path": "/refunds", "query_string": b"",
             "headers": [(b"idempotency-key", b"K-1")], "state": {"actor": BOB}}  # fmt: skip
    anyio.run(Idempotency(command, replays), scope, nothing, client)

    assert len(sent) == 2  # the answer went out either way
    assert stored_keys(replays) == ([(BOB, "K-1")] if kept else [])
    again = replays.reserve(BOB, "K-1", fingerprint("POST", "/refunds", b""))
    assert isinstance(again, Replay if kept else Reserved)
