"""A full disk under a running `ledger serve` and the CLI: commands are refused as what they
are (HTTP 507 `storage-unavailable`, exit 4), /healthz says the database takes no writes,
reads answer from the views as they stand with their lag, nothing acknowledged is lost, and
all works again once space is freed, without a restart.

Three disks (tests/e2e/disks.py): a SQLite file and a PostgreSQL tablespace on a small tmpfs
the test mounts (only as root, where `mount` works; skipped otherwise), and a SQLite file that
may not grow past a page count (the test-only LEDGER_TEST_SQLITE_MAX_PAGE_COUNT). Before:
503 "did not answer", /healthz 200, exit 1, reads failing; on PostgreSQL /healthz answered
200 on the full disk, and a process started on it (the CLI) failed before doing anything:
creating the schema writes catalog rows even when every table exists."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from disk_support import LONG_NOTE

from .disks import Disk, page_limited_disk, postgres_tmpfs_disk, sqlite_tmpfs_disk
from .http_paths import assert_problem, fresh, fresh_request, post
from .http_support import running_server
from .support import Ledger, clean_env, request_args, stored_event_count

ACKNOWLEDGED = 24  # refunds stored before the disk fills: their view rows need several pages
DISKS = [
    "sqlite-tmpfs",
    pytest.param("postgres-tmpfs", marks=pytest.mark.postgres),
    "sqlite-page-limit",
]


@pytest.fixture(params=DISKS)
def disk(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Disk]:
    if request.param == "sqlite-tmpfs":
        yield from sqlite_tmpfs_disk()
    elif request.param == "postgres-tmpfs":
        yield from postgres_tmpfs_disk(request.getfixturevalue("postgres_server"))
    else:
        yield from page_limited_disk(tmp_path)


def test_a_full_disk_refuses_writes_as_such_and_reads_answer_with_their_lag(
    disk: Disk, tmp_path: Path
) -> None:
    ledger = Ledger(disk.url, tmp_path)
    env = clean_env(**disk.env)
    with (
        running_server(disk.url, tmp_path, env=disk.env) as server,
        server.client("agent:ann") as agent,
    ):
        kept = [post(agent, "/refunds", _long_ids(), 201)["id"] for _ in range(ACKNOWLEDGED)]
        stored = stored_event_count(disk.url)
        disk.fill()
        try:
            refused = agent.post("/refunds", json=fresh_request(note=LONG_NOTE))
            cli = ledger.run("request", *request_args(note=LONG_NOTE), env=env)
            health = agent.get("/healthz")
            listed = agent.get("/refunds")
            cli_list = ledger.run("list", "--json", env=env)
            unchanged = stored_event_count(disk.url)
        finally:
            disk.free()

        body = assert_problem(refused, 507, "storage-unavailable")
        assert "storage is full" in body["detail"], body
        assert cli.code == 4, cli.describe()
        assert cli.stderr.startswith("error: the database's storage is full"), cli.describe()
        assert cli.stderr.count("\n") == 1, cli.describe()
        problem = assert_problem(health, 503, "storage-unavailable")
        assert problem["failed"] == "writable", problem
        assert [c["ok"] for c in problem["checks"]] == [True, False, True], problem
        assert listed.status_code == 200, listed.text
        assert listed.headers["x-view-lag"] == str(stored), listed.headers
        assert listed.json() == []  # the view as it stood: never caught up
        assert cli_list.code == 0, cli_list.describe()
        assert cli_list.json() == []
        assert cli_list.stderr.startswith(f"note: the views are {stored} event(s) behind")
        assert cli_list.stderr.count("\n") == 1, cli_list.describe()
        assert unchanged == stored  # the refused commands stored nothing

        added = post(agent, "/refunds", fresh_request(note=LONG_NOTE), 201)["id"]
        assert agent.get("/healthz").status_code == 200
        listed = agent.get("/refunds", params={"limit": 1000})
        assert listed.headers["x-view-lag"] == "0"
        assert {*kept, added} == {row["id"] for row in listed.json()}
        assert "Traceback" not in server.log_text()
    assert ledger.run("request", *request_args(), env=env).code == 0
    verified = ledger.run("audit", "verify", env=env)
    assert verified.code == 0, verified.describe()


def _long_ids() -> dict[str, str]:
    """A request whose status row is wide (ids of 100 characters)."""
    return fresh_request(
        order_id=fresh("O").ljust(100, "o"), customer_id=fresh("C").ljust(100, "c")
    )
