"""`ledger serve` refuses what it cannot do with one line, and stops cleanly on SIGTERM."""

from __future__ import annotations

import signal
import socket
from pathlib import Path

from .http_support import running_server
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
        log = server.log_text()

    # uvicorn finishes the requests in hand, then re-raises the signal as its exit status
    assert code in (0, -signal.SIGTERM), log
    assert "Traceback" not in log
    assert "Application shutdown complete" in log and "Finished server process" in log
