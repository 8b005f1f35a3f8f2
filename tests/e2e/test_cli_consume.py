"""`ledger consume finance` as a process: killed between its commit and its offset commit."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import threading
from collections.abc import Callable
from pathlib import Path

from ledger.app.service import RefundLedger

from .support import LEDGER, TIMEOUT_SECONDS, Ledger, clean_env
from consumer_support import fresh_name, ledger_messages, paid_and_retried, produce

WINDOW = "committing offsets"


def consume_args(ledger: Ledger, bootstrap: str, topic: str, group: str) -> list[str]:
    return [
        *LEDGER, "--db", ledger.database_url, "consume", "finance", "--kafka", bootstrap,
        "--topic", topic, "--dlq-topic", f"{topic}.dlq", "--group", group, "--once",
        "--idle", "0.5", "--session-timeout-ms", "2000",
    ]  # fmt: skip


def kill_in_the_window(args: list[str], cwd: str) -> list[str]:
    """Run the consumer with the pause hook; SIGKILL it once it has committed a batch."""
    env = clean_env(LEDGER_CONSUMER_PAUSE_AFTER_COMMIT="60")
    process = subprocess.Popen(args, cwd=cwd, env=env, stderr=subprocess.PIPE, text=True)
    watchdog = threading.Timer(TIMEOUT_SECONDS, process.kill)
    watchdog.start()
    seen: list[str] = []
    try:
        assert process.stderr is not None
        for line in process.stderr:
            seen.append(line)
            if WINDOW in line:
                os.kill(process.pid, signal.SIGKILL)
                break
    finally:
        watchdog.cancel()
        process.kill()
        process.wait()
    assert process.returncode == -signal.SIGKILL and WINDOW in seen[-1], "".join(seen)
    return seen


def test_a_consumer_killed_after_its_commit_posts_nothing_twice_when_restarted(
    ledger: Ledger, make_app: Callable[[str], RefundLedger], kafka_bootstrap: str
) -> None:
    app = make_app(ledger.database_url)
    paid_and_retried(app)
    messages = ledger_messages(app)
    topic, group = fresh_name("events"), fresh_name("finance")
    produce(kafka_bootstrap, topic, messages)
    args = consume_args(ledger, kafka_bootstrap, topic, group)

    kill_in_the_window(args, str(ledger.workdir))
    posted = ledger.ok("finance", "journal")
    assert posted, "the killed consumer committed its batch before the offsets"

    restarted = subprocess.run(
        args, cwd=ledger.workdir, env=clean_env(), capture_output=True, text=True,
        timeout=TIMEOUT_SECONDS, check=False,
    )  # fmt: skip
    assert restarted.returncode == 0, restarted.stderr
    summary = re.fullmatch(
        r"finance: applied (\d+), skipped (\d+) duplicate\(s\), dead-lettered 0\n",
        restarted.stdout,
    )
    assert summary, restarted.stdout
    applied, duplicates = map(int, summary.groups())
    assert duplicates >= len(posted) and applied + duplicates == len(messages)
    entries = ledger.ok("finance", "journal")
    assert len(entries) == 6
    assert len({entry["event_id"] for entry in entries}) == 6  # every event posted once
    assert all(entry in entries for entry in posted)  # the first run's entries stand
    balance = {row["account"]: row["balance"] for row in ledger.ok("finance", "trial-balance")}
    assert balance == {"cash": "-70.00", "refund_expense": "70.00", "refunds_payable": "0.00"}


def test_sigterm_stops_a_following_consumer_cleanly(
    sqlite_url: str, tmp_path: Path, make_app: Callable[[str], RefundLedger], kafka_bootstrap: str
) -> None:
    app = make_app(sqlite_url)
    paid_and_retried(app)
    messages = ledger_messages(app)
    topic = fresh_name("events")
    produce(kafka_bootstrap, topic, messages)
    following = [a for a in consume_args(Ledger(sqlite_url, tmp_path), kafka_bootstrap, topic,
                                         fresh_name("finance")) if a != "--once"]  # fmt: skip
    process = subprocess.Popen(
        following, cwd=tmp_path, env=clean_env(), stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    watchdog = threading.Timer(TIMEOUT_SECONDS, process.kill)
    watchdog.start()
    try:
        assert process.stderr is not None
        applied = 0
        for line in process.stderr:  # until every message is applied and its batch committed
            found = re.search(r"applied (\d+) message", line)
            applied += int(found.group(1)) if found else 0
            if WINDOW in line and applied == len(messages):
                break
        process.send_signal(signal.SIGTERM)
        stdout, _ = process.communicate(timeout=TIMEOUT_SECONDS)
    finally:
        watchdog.cancel()
        process.kill()
    assert process.returncode == 0
    assert stdout == f"finance: applied {len(messages)}, skipped 0 duplicate(s), dead-lettered 0\n"


def test_consume_without_a_broker_address_is_one_line_and_exit_2(tmp_path: Path) -> None:
    outcome = Ledger(f"sqlite:///{tmp_path / 'ledger.db'}", tmp_path).run("consume", "finance")
    assert outcome.code == 2
    assert outcome.stderr == (
        "error: no Kafka broker: pass --kafka HOST:PORT or set LEDGER_KAFKA_BOOTSTRAP\n"
    )
