"""`ledger serve` refuses what it cannot do with one line, stops cleanly on SIGTERM, and
hands its limits to uvicorn."""

from __future__ import annotations

import signal
import socket
import time
from pathlib import Path

import httpx
import pytest

from .http_support import START_SECONDS, running_server
from .support import Ledger


def test_taken_port_is_one_line_and_exit_1(tmp_path: Path) -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        outcome = Ledger(f"sqlite:///{tmp_path}/l.db", tmp_path).run("serve", "--port", str(port))

    assert outcome.code == 1, outcome.describe()
    assert outcome.stderr.strip().splitlines() == [
        f"error: cannot listen on 127.0.0.1:{port}: Address already in use "
        f"(while attempting to bind on address ('127.0.0.1', {port}))"
    ]
    assert not (tmp_path / "l.db").exists()


def test_bad_database_url_is_a_usage_error(tmp_path: Path) -> None:
    outcome = Ledger("sqlite:////no/such/dir/l.db", tmp_path).run("serve", "--port", "0")

    assert outcome.code == 2, outcome.describe()
    assert outcome.stderr.startswith("error: invalid database URL")
    assert len(outcome.stderr.strip().splitlines()) == 1


def test_bad_port_and_workers_are_usage_errors(tmp_path: Path) -> None:
    ledger = Ledger(f"sqlite:///{tmp_path}/l.db", tmp_path)

    for args in (("--port", "70000"), ("--port", "x"), ("--workers", "0")):
        outcome = ledger.run("serve", *args)
        assert outcome.code == 2, outcome.describe()
        assert len(outcome.stderr.strip().splitlines()) == 1, outcome.describe()


def test_sigterm_stops_the_server_cleanly(tmp_path: Path) -> None:
    with running_server(f"sqlite:///{tmp_path}/l.db", tmp_path) as server:
        server.process.send_signal(signal.SIGTERM)
        code = server.process.wait(timeout=15)
        log = server.wait_for_log(lambda text: "Finished server process" in text)  # or its end

    # uvicorn finishes the requests in hand, then re-raises the signal as its exit status
    assert code in (0, -signal.SIGTERM), log
    assert "Traceback" not in log
    assert "Application shutdown complete" in log and "Finished server process" in log


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--log-format", "xml"), "'xml' is not one of 'plain', 'json'"),
        (("--timeout-keep-alive", "0"), "0 is not in the range 1<=x<=3600"),
        (("--limit-concurrency", "1"), "1 is not in the range x>=2"),
    ],
    ids=["log-format", "keep-alive", "concurrency"],
)
def test_bad_limits_and_log_format_are_usage_errors(
    tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    outcome = Ledger(f"sqlite:///{tmp_path}/l.db", tmp_path).run("serve", *args)

    assert outcome.code == 2, outcome.describe()
    assert len(outcome.stderr.strip().splitlines()) == 1, outcome.describe()
    assert message in outcome.stderr, outcome.describe()
    assert not (tmp_path / "l.db").exists()


def test_over_the_concurrency_limit_uvicorn_answers_503(tmp_path: Path) -> None:
    """`--limit-concurrency 2`: with one other connection open, a request is refused (uvicorn
    counts the open connections, the request's own included)."""
    url = f"sqlite:///{tmp_path}/l.db"
    with running_server(url, tmp_path, "--limit-concurrency", "2") as server:
        port = int(server.base_url.rsplit(":", 1)[1])
        with _served_connection(port):
            with httpx.Client(base_url=server.base_url) as other:
                refused = other.get("/healthz")
        # uvicorn's warning reaches the log through a pipe: wait for it, do not race it
        log = server.wait_for_log(lambda text: "Exceeded concurrency limit." in text)

    assert refused.status_code == 503
    assert refused.headers["content-type"] == "text/plain; charset=utf-8"  # uvicorn's, not ours
    assert refused.text == "Service Unavailable"
    assert "Exceeded concurrency limit." in log


def _served_connection(port: int) -> socket.socket:
    """A kept-alive connection that was answered 200 (once the start-up check's connection
    is gone, a lone connection is under the limit)."""
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        held = socket.create_connection(("127.0.0.1", port))
        held.sendall(b"GET /healthz HTTP/1.1\r\nHost: ledger\r\n\r\n")
        if held.recv(64).startswith(b"HTTP/1.1 200 "):
            return held
        held.close()
        time.sleep(0.05)
    raise AssertionError("the server never answered a lone connection")
