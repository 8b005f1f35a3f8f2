"""The relay through the real CLI and a real broker (Tansu), on SQLite and PostgreSQL: what it
publishes, a relay killed with SIGKILL mid-batch, a broker that goes away and comes back
empty, and the refusals (no bootstrap servers, an unreachable broker with --once).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections import defaultdict
from pathlib import Path

from waiting import PATIENCE, wait_until

from localservers.tansu import TansuBroker

from .process_log import ProcessLog
from .relay_support import (
    Watch,
    delivered,
    fresh_topic,
    read_topic,
    seed,
    stored,
    validator,
)
from .support import LEDGER, Ledger, clean_env

DEADLINE_SECONDS = PATIENCE


def relay_process(
    ledger: Ledger, bootstrap: str, topic: str, *args: str, log: Path
) -> tuple[subprocess.Popen[bytes], ProcessLog]:
    """`ledger relay run` in a process of its own, and its log (stderr, also copied to `log`)."""
    relay = subprocess.Popen(
        [*LEDGER, "--db", ledger.database_url, "relay", "run", "--topic", topic, *args],
        cwd=ledger.workdir,
        env=clean_env(LEDGER_KAFKA_BOOTSTRAP=bootstrap),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert relay.stderr is not None
    return relay, ProcessLog(relay.stderr, log)


def wait_until_published(watch: Watch) -> None:
    def published() -> bool:
        position, head = watch()
        return position >= head

    wait_until(published, "the relay to publish every event", 0.1)


def test_relay_once_publishes_every_refund_event_in_order_as_a_cloudevent(
    ledger: Ledger, kafka_bootstrap: str
) -> None:
    seed(ledger.database_url, 8)
    topic = fresh_topic()
    outcome = ledger.run("relay", "run", "--once", "--kafka", kafka_bootstrap, "--topic", topic)
    assert outcome.code == 0, outcome.describe()
    events, others = stored(ledger.database_url)
    assert others > 0  # orders, customers and addresses: stored, passed, never published
    assert outcome.stdout.startswith(f"published {len(events)} refund event(s), passed {others}")

    records = read_topic(kafka_bootstrap, topic, len(events))
    assert len(records) == len(events)
    by_key: dict[str, list[int]] = defaultdict(list)
    for record in records:
        headers = {name: value.decode() for name, value in record.headers}
        body = json.loads(record.value)
        refund_id = record.key.decode()
        by_key[refund_id].append(body["version"])
        assert headers == {
            "ce_specversion": "1.0",
            "ce_id": f"{refund_id}:{body['version']}",
            "ce_source": "/refund-ledger",
            "ce_type": f"refunds.{body['type']}.v{body['schema_version']}",
            "ce_time": body["at"],
            "ce_subject": refund_id,
            "content-type": "application/json",
        }
        assert body["refund_id"] == refund_id
        validator(headers["ce_type"]).validate(body)
    expected: dict[str, list[int]] = defaultdict(list)
    for refund_id, version, _ in events:
        expected[refund_id].append(version)
    assert by_key == expected  # each refund's events exactly once, in version order
    assert {len(versions) for versions in by_key.values()} == {3, 6}  # unpaid and paid ones

    again = ledger.run("relay", "run", "--once", "--kafka", kafka_bootstrap, "--topic", topic)
    assert again.stdout.startswith("published 0 refund event(s)"), again.describe()
    assert ledger.ok("relay", "status", "--topic", topic)["lag"] == 0


def test_relay_killed_mid_batch_loses_nothing_after_restart(
    ledger: Ledger, kafka_bootstrap: str, tmp_path: Path
) -> None:
    seed(ledger.database_url, 300)  # pages of 5: the relay takes a while, however fast it is
    topic = fresh_topic()
    with Watch(ledger.database_url, topic) as watch:
        log = tmp_path / "log"
        relay, _ = relay_process(ledger, kafka_bootstrap, topic, "--batch", "5", log=log)
        try:  # killed once its first pages are acknowledged
            wait_until(lambda: watch()[0] > 0, "the relay's first acknowledged page", 0.01)
        finally:
            os.kill(relay.pid, signal.SIGKILL)
            relay.wait(timeout=DEADLINE_SECONDS)
        position, head = watch()
    assert 0 < position < head, "the relay was not killed in the middle of its work"

    outcome = ledger.run("relay", "run", "--once", "--kafka", kafka_bootstrap, "--topic", topic)
    assert outcome.code == 0, outcome.describe()
    events, _ = stored(ledger.database_url)
    arrived = delivered(read_topic(kafka_bootstrap, topic, len(events)))
    assert set(arrived) == {(refund_id, version) for refund_id, version, _ in events}
    duplicates = sum(arrived.values()) - len(arrived)
    # at most the page being acknowledged and the one sent ahead of it (--batch 5 each)
    assert duplicates <= 10, f"{duplicates} duplicates: more than two pages published twice"


def test_relay_recovers_by_itself_when_the_broker_comes_back_empty(
    ledger: Ledger, kafka_broker: TansuBroker, tmp_path: Path
) -> None:
    seed(ledger.database_url, 2)
    topic, log = fresh_topic(), tmp_path / "relay.log"
    watch = Watch(ledger.database_url, topic)
    relay, stderr = relay_process(
        ledger, kafka_broker.bootstrap, topic, "--poll", "0.2", "--request-timeout", "1", log=log
    )
    try:
        wait_until_published(watch)
        before = {key for key, _, _ in stored(ledger.database_url)[0]}
        with kafka_broker.down():
            seed(ledger.database_url, 3, prefix="while-down")
            said = stderr.wait_for(lambda text: "retrying with a new producer" in text)
            assert "retrying with a new producer" in said, said
        wait_until_published(watch)
    finally:
        watch.app.close()
        relay.send_signal(signal.SIGTERM)
        relay.wait(DEADLINE_SECONDS)  # its stdout is one line: the pipe cannot fill
        stderr.close()
    assert relay.returncode == 0, stderr.text()
    assert relay.stdout is not None and relay.stdout.read().startswith(b"stopped; published ")
    assert "WARNING" in stderr.text()
    written_while_down = {
        (key, version) for key, version, _ in stored(ledger.database_url)[0] if key not in before
    }
    arrived = delivered(read_topic(kafka_broker.bootstrap, topic, len(written_while_down)))
    assert len({key for key, _ in written_while_down}) == 3
    assert written_while_down <= set(arrived)


def test_relay_refuses_without_bootstrap_and_gives_up_on_an_unreachable_broker(
    ledger: Ledger,
) -> None:
    missing = ledger.run("relay", "run", "--once")
    assert missing.code == 2, missing.describe()
    assert missing.stderr.count("\n") == 1 and "LEDGER_KAFKA_BOOTSTRAP" in missing.stderr

    seed(ledger.database_url, 1)
    started = time.monotonic()
    unreachable = ledger.run("relay", "run", "--once", "--kafka", "127.0.0.1:1", "--timeout", "2")
    assert time.monotonic() - started < 20
    assert unreachable.code == 4, unreachable.describe()
    errors = [line for line in unreachable.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "Kafka at 127.0.0.1:1" in errors[0], unreachable.describe()
    assert "Traceback" not in unreachable.stderr
    assert ledger.ok("relay", "status")["position"] == 0
