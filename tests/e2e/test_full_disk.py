"""A full disk under a running `ledger serve` and the CLI: commands are refused as what they
are (HTTP 507 `storage-unavailable`, exit 4), /healthz says the database takes no writes,
reads answer from the views as they stand with their lag, nothing acknowledged is lost, and
all works again once space is freed, without a restart.

Two disks: a small tmpfs the test mounts (only as root, where `mount` works), and a SQLite
file that may not grow past a page count (the test-only LEDGER_TEST_SQLITE_MAX_PAGE_COUNT),
filled the same way. Before: 503 "did not answer", /healthz 200, exit 1, reads failing."""

from __future__ import annotations

import errno
import os
import sqlite3
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from ledger.storage.factories import MAX_PAGE_COUNT_HOOK

from .http_paths import assert_problem, fresh, fresh_request, post
from .http_support import running_server
from .support import Ledger, clean_env, request_args, stored_event_count

ACKNOWLEDGED = 24  # refunds stored before the disk fills: their view rows need several pages
LONG_NOTE = "€" * 2000  # 6 KB stored: a request that must have new pages, wherever it lands
ROOM_PAGES = 400  # pages the page-limited file may grow by before the test fills it


@dataclass
class Disk:
    url: str
    env: dict[str, str]  # for every process that opens the database
    fill: Callable[[], None]
    free: Callable[[], None]


@pytest.fixture(params=["tmpfs", "page-limit"])
def disk(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Disk]:
    if request.param == "tmpfs":
        yield from _tmpfs_disk(tmp_path)
    else:
        yield from _page_limited_disk(tmp_path)


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


# --- the disks ---


def _tmpfs_disk(tmp_path: Path) -> Iterator[Disk]:
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root (the page-limit disk runs instead)")
    mount = tmp_path / "disk"
    mount.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    database, filler = mount / "ledger.db", mount / "filler"

    def fill() -> None:
        _checkpoint(database)  # the WAL starts empty: the next commit must grow it
        _fill_file(filler)
        assert os.statvfs(mount).f_bavail == 0

    try:
        yield Disk(f"sqlite:///{database}", {}, fill, lambda: filler.unlink())
    finally:
        if subprocess.run(["umount", str(mount)], check=False).returncode != 0:
            subprocess.run(["umount", "-l", str(mount)], check=False)


def _fill_file(path: Path) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        for size in (1 << 20, 1 << 16, 4096, 512, 1):
            chunk = b"\0" * size
            while True:
                try:
                    if os.write(descriptor, chunk) < size:
                        break
                except OSError as error:
                    assert error.errno == errno.ENOSPC, error
                    break
    finally:
        os.close(descriptor)


def _checkpoint(database: Path) -> None:
    with sqlite3.connect(database, timeout=10, isolation_level=None) as connection:
        busy, _, _ = connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    connection.close()
    assert busy == 0


def _page_limited_disk(tmp_path: Path) -> Iterator[Disk]:
    database = tmp_path / "ledger.db"
    url = f"sqlite:///{database}"
    made = Ledger(url, tmp_path).run("projections", "status")  # the schema, before the limit
    assert made.code == 0, made.describe()
    limit = _pages(database) + ROOM_PAGES

    def fill() -> None:
        connection = sqlite3.connect(database, timeout=10, isolation_level=None)
        try:
            connection.execute(f"PRAGMA max_page_count = {limit}")
            connection.execute("CREATE TABLE test_filler (filler BLOB)")
            for size in (1 << 16, 4000, 1000, 100):
                while True:
                    try:
                        connection.execute("INSERT INTO test_filler VALUES (zeroblob(?))", (size,))
                    except sqlite3.OperationalError as error:
                        assert "full" in str(error), error
                        break
        finally:
            connection.close()

    def free() -> None:
        connection = sqlite3.connect(database, timeout=10, isolation_level=None)
        try:
            connection.execute("DROP TABLE test_filler")  # its pages are free for reuse
        finally:
            connection.close()

    yield Disk(url, {MAX_PAGE_COUNT_HOOK: str(limit)}, fill, free)


def _pages(database: Path) -> int:
    connection = sqlite3.connect(database)
    try:
        return int(connection.execute("PRAGMA page_count").fetchone()[0])
    finally:
        connection.close()
