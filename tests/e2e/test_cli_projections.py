"""The read models through the real CLI: `projections run|status|rebuild`, `list` on the status
view, and a projection process killed with SIGKILL mid catch-up that applies every event once.
"""

from __future__ import annotations

import signal
import subprocess
from typing import Any
from uuid import UUID

import psycopg
from psycopg import sql
from waiting import wait_until

from ledger.app.presenters import refund_out
from ledger.bootstrap import bootstrap
from ledger.config import Settings
from ledger.domain.actor import Actor
from ledger.projections.runner import Projections

from .killing import kill_when, seed
from .support import LEDGER, Ledger, clean_env
from integration.support import form

AGENT, MANAGER = Actor.parse("agent:ann"), Actor.parse("manager:bob")


def _positions(url: str) -> dict[str, tuple[int, int]]:
    app = bootstrap(Settings(database_url=url)).ledger
    try:
        return {s.name: (s.position, s.head) for s in Projections(app).states()}
    finally:
        app.close()


def _listening(url: str) -> bool:
    """Whether another session on the PostgreSQL database has last run a LISTEN (the
    runner's wake-up connection, waiting for notifications)."""
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND pid <> pg_backend_pid() AND query LIKE 'LISTEN %'"
        ).fetchone()
    return bool(row and row[0])


def _check_applied_exactly_once(url: str) -> None:
    app = bootstrap(Settings(database_url=url)).ledger
    try:
        views = Projections(app)
        with views.store.reading() as db:
            trail = db.rows(sql.SQL("SELECT refund_id, version FROM decision_trail"))
            status = db.rows(sql.SQL("SELECT * FROM refund_status"))
        versions = {str(i): app.get(i).version for i in app.refund_ids()}
        assert len(trail) == sum(versions.values())
        assert len(set(map(tuple, (r.values() for r in trail)))) == len(trail)
        assert {r["refund_id"]: r["version"] for r in status} == versions
        for row in status:
            assert row["version"] == app.get(UUID(row["refund_id"])).version
    finally:
        app.close()


def test_projection_killed_mid_catch_up_applies_every_event_once_after_restart(
    ledger: Ledger,
) -> None:
    seed(ledger.database_url, 400)

    def a_quarter_applied() -> bool:
        position, head = _positions(ledger.database_url)["decision_trail"]
        return position > head // 4

    kill_when(
        ledger,
        ["projections", "run", "--batch", "7"],
        a_quarter_applied,
        "a quarter of the events to be applied",
    )
    position, head = _positions(ledger.database_url)["decision_trail"]
    assert 0 < position < head, "the runner was not killed in the middle of catching up"
    assert ledger.run("projections", "run", "--once").code == 0
    _check_applied_exactly_once(ledger.database_url)
    assert {s["lag"] for s in ledger.ok("projections", "status")} == {0}


def test_a_following_runner_applies_new_events_without_waiting_out_its_poll(
    ledger: Ledger,
) -> None:
    """PostgreSQL wakes the runner by NOTIFY: a 60 s poll would miss the deadline below."""
    poll = "60" if ledger.database_url.startswith("postgresql") else "0.2"
    runner = subprocess.Popen(
        [*LEDGER, "--db", ledger.database_url, "projections", "run", "--poll", poll],
        cwd=ledger.workdir,
        env=clean_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        if poll == "60":  # events stored before it listens would be caught up anyway
            wait_until(lambda: _listening(ledger.database_url), "the runner to LISTEN", 0.02)
        seed(ledger.database_url, 3)

        def caught_up() -> bool:
            return all(p == h > 0 for p, h in _positions(ledger.database_url).values())

        wait_until(caught_up, "every view to apply the new events", 0.05)
        assert {p == h > 0 for p, h in _positions(ledger.database_url).values()} == {True}
    finally:
        runner.send_signal(signal.SIGTERM)
        out, err = runner.communicate(timeout=30)
    assert runner.returncode == 0, err
    assert out.startswith("stopped; applied ")


def test_list_reads_the_status_view_with_the_show_json_contract(ledger: Ledger) -> None:
    seed(ledger.database_url, 6)
    listed = ledger.ok("list")
    assert listed == [ledger.show(r["id"]) for r in listed]
    assert len(listed) == 6


def test_list_filters_and_pages(ledger: Ledger) -> None:
    seed(ledger.database_url, 8)
    everything: list[dict[str, Any]] = ledger.ok("list")
    pending = ledger.ok("list", "--status", "pending_approval")
    assert {r["id"] for r in pending} == {
        r["id"] for r in everything if r["status"] == "pending_approval"
    }
    assert [r["customer_id"] for r in ledger.ok("list", "--customer", "C-3")] == ["C-3"]
    assert [r["order_id"] for r in ledger.ok("list", "--order", "O-5")] == ["O-5"]
    assert ledger.ok("list", "--reason", "damaged") == []
    assert len(ledger.ok("list", "--reason", "billing_error")) == 8
    assert {r["tier"] for r in ledger.ok("list", "--tier", "manager")} == {"manager"}
    first = everything[0]["created_at"]
    assert ledger.ok("list", "--until", "2000-01-01") == []
    assert ledger.ok("list", "--since", first) == everything
    page = ledger.ok("list", "--limit", "3")
    after = ledger.ok("list", "--limit", "3", "--cursor", page[-1]["id"])
    skipped = ledger.ok("list", "--limit", "3", "--offset", "3")
    assert page + after == everything[:6]
    assert skipped == after


def test_rebuilt_views_equal_incremental_ones(ledger: Ledger) -> None:
    seed(ledger.database_url, 5)
    before = ledger.ok("list")
    ledger.run("projections", "run", "--once")
    _seed_more = bootstrap(Settings(database_url=ledger.database_url)).ledger
    try:
        refund = _seed_more.request(AGENT, form(order_id="O-late", amount="90.00"))
        _seed_more.approve(refund.id, MANAGER, None, None)
        expected = [refund_out(_seed_more.get(UUID(r["id"]))) for r in before]
    finally:
        _seed_more.close()
    incremental = ledger.ok("list")
    assert incremental[:5] == expected
    assert ledger.run("projections", "rebuild").code == 0
    assert ledger.ok("list") == incremental
    assert ledger.run("projections", "rebuild", "status").code == 0
    assert ledger.ok("list") == incremental


def test_bad_listing_and_projection_input_exits_2_with_one_line(ledger: Ledger) -> None:
    for args, says in (
        (("list", "--since", "yesterday"), "invalid --since"),
        (("list", "--until", "2026-13-01"), "invalid --until"),
        (("list", "--limit", "0"), "--limit"),
        (("list", "--limit", "ten"), "--limit"),
        (("list", "--offset", "-1"), "--offset"),
        (("list", "--cursor", "nope"), "refund"),
        (("list", "--cursor", "00000000-0000-4000-8000-000000000000"), "unknown cursor"),
        (("list", "--reason", "bogus"), "unknown reason"),
        (("projections", "rebuild", "bogus"), "unknown view"),
    ):
        outcome = ledger.run(*args)
        assert outcome.code == 2, outcome.describe()
        assert outcome.stderr.count("\n") == 1 and "Traceback" not in outcome.stderr, says
        assert says in outcome.stderr, outcome.describe()
