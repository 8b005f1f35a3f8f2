"""Who owns a pending `Idempotency-Key`, and when a retry takes it over: at once when the
owner's process is dead or is this process and no longer runs it, when the owner's lease
runs out, and by its age for a key of a version that named no owner."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from eventsourcing.persistence import PersistenceError
from psycopg import sql
from waiting import wait_until

from ledger.app.service import RefundLedger
from ledger.store.replays import (
    TABLE,
    InProgress,
    Mismatch,
    Replay,
    ReplayStore,
    Reserved,
    StoredResponse,
)
from ledger.store.tracking import open_store

from .replay_support import (
    BOB,
    CREATED,
    FIRST,
    OTHER,
    far_owner,
    kill,
    owner_process,
    released,
)
from .support import (
    FakeClock,
    shared_database_url,  # noqa: F401  (its database is shared with processes)
)


def test_a_request_this_process_still_runs_stays_in_progress_past_stale_after(
    replays: ReplayStore, clock: FakeClock
) -> None:
    replays.reserve(BOB, "k-1", FIRST)
    clock.advance(minutes=10)

    assert replays.reserve(BOB, "k-1", FIRST) == InProgress(retry_after=1)
    assert replays.reserve(BOB, "k-1", OTHER) == Mismatch()


def test_a_key_whose_owner_was_killed_is_taken_over_at_once(
    replays: ReplayStore, clock: FakeClock, database_url: str
) -> None:
    with owner_process(database_url, clock(), BOB, FIRST, ["k-1"]) as owner:
        assert replays.reserve(BOB, "k-1", FIRST) == InProgress(retry_after=1)  # it lives

        kill(owner)
        released(database_url, owner.pid)

        assert replays.reserve(BOB, "k-1", FIRST) == Reserved()  # the clock stood still
    assert replays.reserve(BOB, "k-1", FIRST) == InProgress()  # the take-over is ours now
    assert replays.reserve(BOB, "k-1", OTHER) == Mismatch()


def test_an_owner_that_cannot_be_checked_keeps_its_key_while_it_renews_its_lease(
    app: RefundLedger, clock: FakeClock, opened: Callable[[ReplayStore], ReplayStore]
) -> None:
    """An owner on another machine (a SQLite file shared, or a check that cannot tell)."""
    there = opened(ReplayStore(open_store(app), clock, owner=far_owner(), renews=False))
    here = opened(ReplayStore(open_store(app), clock))
    assert there.reserve(BOB, "k-1", FIRST) == Reserved()
    clock.advance(seconds=59)
    assert here.reserve(BOB, "k-1", FIRST) == InProgress()

    there.renew()
    clock.advance(seconds=59)  # 118 s after the reservation, 59 s after the renewal
    assert here.reserve(BOB, "k-1", FIRST) == InProgress()

    clock.advance(seconds=2)
    assert here.reserve(BOB, "k-1", FIRST) == Reserved()
    assert there.reserve(BOB, "k-1", FIRST) == InProgress()  # and it is here's now


def test_a_key_whose_answer_was_not_kept_is_taken_over_here_at_once_elsewhere_on_expiry(
    replays: ReplayStore,
    app: RefundLedger,
    clock: FakeClock,
    opened: Callable[[ReplayStore], ReplayStore],
) -> None:
    """The command ran but storing its answer failed: no request of this process runs the
    key any more, while another process sees a live owner until its lease runs out."""
    elsewhere = opened(ReplayStore(open_store(app), clock))
    for key in ("k-1", "k-2"):
        replays.reserve(BOB, key, FIRST)
        with pytest.raises((OverflowError, PersistenceError, psycopg.Error)):
            replays.complete(BOB, key, StoredResponse(2**70, (), b""))  # no INTEGER holds it

    assert replays.reserve(BOB, "k-1", FIRST) == Reserved()
    assert elsewhere.reserve(BOB, "k-2", FIRST) == InProgress()
    clock.advance(seconds=61)
    assert elsewhere.reserve(BOB, "k-2", FIRST) == Reserved()


OLD_TABLE = (
    "CREATE TABLE {} (scope TEXT NOT NULL, idempotency_key TEXT NOT NULL, "
    "fingerprint TEXT NOT NULL, created_at TEXT NOT NULL, completed_at TEXT, status INTEGER, "
    "headers TEXT, body {}, PRIMARY KEY (scope, idempotency_key))"
)  # as the version before owners made it


def test_a_table_of_an_older_version_gains_owners_and_keeps_its_keys(
    app: RefundLedger,
    clock: FakeClock,
    database_url: str,
    opened: Callable[[ReplayStore], ReplayStore],
) -> None:
    store, at = open_store(app), clock().astimezone(UTC).isoformat(timespec="microseconds")
    blob = sql.SQL("BYTEA" if database_url.startswith("postgres") else "BLOB")
    with store.writing() as db:
        db.execute(sql.SQL(OLD_TABLE).format(sql.Identifier(TABLE), blob))
        db.execute(
            sql.SQL("INSERT INTO {} VALUES (%s, %s, %s, %s, %s, %s, %s, %s)").format(
                sql.Identifier(TABLE)
            ),
            (BOB, "k-done", FIRST, at, at, 201, json.dumps(CREATED.headers), CREATED.body),
        )
        db.execute(
            sql.SQL("INSERT INTO {} (scope, idempotency_key, fingerprint, created_at) "
                    "VALUES (%s, %s, %s, %s)").format(sql.Identifier(TABLE)),
            (BOB, "k-pending", FIRST, at),
        )  # fmt: skip

    first = opened(ReplayStore(store, clock))
    second = opened(ReplayStore(store, clock))  # the columns are there: nothing to add

    assert first.reserve(BOB, "k-done", FIRST) == Replay(CREATED)
    clock.advance(seconds=20)
    assert second.reserve(BOB, "k-pending", FIRST) == InProgress(retry_after=40)
    clock.advance(seconds=41)  # a pending key of no named owner: taken over by its age
    assert second.reserve(BOB, "k-pending", FIRST) == Reserved()
    assert first.reserve(BOB, "k-pending", FIRST) == InProgress()
    assert first.reserve(BOB, "k-new", FIRST) == Reserved()


def test_the_heartbeat_renews_the_leases_of_the_keys_its_process_runs(
    app: RefundLedger, clock: FakeClock, opened: Callable[[ReplayStore], ReplayStore]
) -> None:
    quick = opened(ReplayStore(open_store(app), clock, stale_after=timedelta(seconds=0.2)))
    quick.reserve(BOB, "k-1", FIRST)
    quick.reserve(BOB, "k-2", FIRST)
    quick.complete(BOB, "k-2", CREATED)  # done: no lease to renew
    reserved_at = renewed(quick)
    later = clock.advance(minutes=5)

    # beats come every 0.05 s: only a stalled machine waits
    wait_until(lambda: renewed(quick)["k-1"] != reserved_at["k-1"], "the lease's renewal", 0.02)

    assert datetime.fromisoformat(renewed(quick)["k-1"]) == later
    assert renewed(quick)["k-2"] == reserved_at["k-2"]


def renewed(replays: ReplayStore) -> dict[str, str]:
    with replays.store.reading() as db:
        rows = db.rows(
            sql.SQL("SELECT idempotency_key, renewed_at FROM {}").format(sql.Identifier(TABLE))
        )
    return {row["idempotency_key"]: row["renewed_at"] for row in rows}


def test_an_owner_whose_lock_connection_dropped_takes_its_lock_again_on_the_next_beat(
    postgres_url: str,
    make_app: Callable[..., RefundLedger],
    clock: FakeClock,
    opened: Callable[[ReplayStore], ReplayStore],
) -> None:
    """PostgreSQL only. While the lock is lost the owner looks dead (its keys may be taken,
    as after a crash); once its heartbeat has taken the lock again it is alive."""
    app = make_app(postgres_url, clock=clock)
    owner = opened(ReplayStore(open_store(app), clock, renews=False))
    other = opened(ReplayStore(open_store(app), clock))
    owner.reserve(BOB, "k-1", FIRST)
    owner.reserve(BOB, "k-2", FIRST)
    name = f"ledger-owner:{owner.owner.pid}:{owner.owner.token:016x}"
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = %s",
            (name,),
        )
    released(postgres_url, owner.owner.pid, owner.owner.token)

    assert other.reserve(BOB, "k-1", FIRST) == Reserved()
    owner.renew()
    assert other.reserve(BOB, "k-2", FIRST) == InProgress()
