"""The relay and a consumer over TLS, through the real CLI: Tansu behind a TLS-terminating
proxy (tests/tls_proxy.py) that only speaks TLS, with a test CA made for the test.

With LEDGER_KAFKA_SECURITY_PROTOCOL=SSL and the CA file the relay publishes every refund
event and `consume finance` posts them; without the CA file (the system's CAs do not trust
the test CA) and as a plaintext client, the relay fails with one line and exit 1, having
published nothing. The consumers' three clients speak TLS too: the admin client (it
creates the topics), the group consumer, and the producer (a dead letter acknowledged).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from kafka import KafkaProducer

from .relay_support import Watch, delivered, fresh_topic, read_topic, seed, stored
from .support import Ledger, clean_env
from .tls_kafka import TlsKafka, tls_kafka

pytestmark = pytest.mark.kafka


@pytest.fixture
def kafka(tmp_path: Path) -> Iterator[TlsKafka]:
    with tls_kafka(tmp_path) as running:
        yield running


def relay_once(ledger: Ledger, kafka: TlsKafka, topic: str, **env: str) -> tuple[int, str, str]:
    outcome = ledger.run(
        *("relay", "run", "--once", "--kafka", kafka.bootstrap, "--topic", topic),
        *("--timeout", "3"),
        env=clean_env(**env),
    )
    return outcome.code, outcome.stdout, outcome.stderr


def test_the_relay_publishes_over_tls_with_the_ca_file(ledger: Ledger, kafka: TlsKafka) -> None:
    seed(ledger.database_url, 4)
    events, _ = stored(ledger.database_url)
    topic = fresh_topic()
    code, stdout, stderr = relay_once(ledger, kafka, topic, **kafka.env())
    assert code == 0, stderr
    assert stdout.startswith(f"published {len(events)} refund event(s)")
    records = read_topic(kafka.bootstrap, topic, len(events), kafka.options)
    assert delivered(records) == Counter((refund_id, version) for refund_id, version, _ in events)
    assert kafka.proxy.connections > 0  # every byte went through the TLS hop


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_without_the_ca_file_the_relay_fails_in_one_line_and_publishes_nothing(
    ledger: Ledger, kafka: TlsKafka
) -> None:
    seed(ledger.database_url, 2)
    topic = fresh_topic()
    code, stdout, stderr = relay_once(ledger, kafka, topic, LEDGER_KAFKA_SECURITY_PROTOCOL="SSL")
    assert code == 4, stderr
    assert stdout == ""
    errors = [line for line in stderr.splitlines() if line.startswith("error:")]
    assert errors == [stderr.splitlines()[-1]]
    assert errors[0].startswith(f"error: Kafka at {kafka.bootstrap} failed for ")
    assert "(the broker's TLS certificate is refused ([SSL: CERTIFICATE_VERIFY_FAILED]" in errors[0]
    assert errors[0].endswith("nothing published past position 0")
    with Watch(ledger.database_url, topic) as watch:
        assert watch()[0] == 0


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_broker_certificate_from_another_ca_is_refused(ledger: Ledger, kafka: TlsKafka) -> None:
    seed(ledger.database_url, 1)
    env = {**kafka.env(), "LEDGER_KAFKA_SSL_CAFILE": str(kafka.files.other_ca)}
    code, _, stderr = relay_once(ledger, kafka, fresh_topic(), **env)
    assert code == 4, stderr
    assert "[SSL: CERTIFICATE_VERIFY_FAILED]" in stderr.splitlines()[-1]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_consumer_without_the_ca_file_fails_in_one_line(ledger: Ledger, kafka: TlsKafka) -> None:
    outcome = ledger.run(
        *("consume", "compliance", "--once", "--idle", "0.5", "--kafka", kafka.bootstrap),
        *("--topic", fresh_topic()),
        env=clean_env(LEDGER_KAFKA_SECURITY_PROTOCOL="SSL"),
    )
    assert outcome.code == 4, outcome.describe()
    last = outcome.stderr.splitlines()[-1]
    assert last.startswith(
        f"error: Kafka at {kafka.bootstrap}: the broker's TLS certificate is refused "
        "([SSL: CERTIFICATE_VERIFY_FAILED]"
    )
    assert last.endswith("is LEDGER_KAFKA_SSL_CAFILE the CA that signed it?")
    assert "kafka.net" not in outcome.stderr  # refused before any client retried


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_plaintext_client_cannot_talk_to_the_tls_port(ledger: Ledger, kafka: TlsKafka) -> None:
    seed(ledger.database_url, 2)
    topic, before = fresh_topic(), kafka.proxy.connections
    code, stdout, stderr = relay_once(ledger, kafka, topic)
    assert code == 4, stderr
    assert stderr.splitlines()[-1].endswith("nothing published past position 0")
    assert kafka.proxy.connections == before  # no handshake: nothing reached the broker


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_finance_consumer_reads_the_relayed_events_over_tls(
    ledger: Ledger, kafka: TlsKafka
) -> None:
    seed(ledger.database_url, 4)
    events, _ = stored(ledger.database_url)
    topic = fresh_topic()
    assert relay_once(ledger, kafka, topic, **kafka.env())[0] == 0
    outcome = ledger.run(
        *("consume", "finance", "--once", "--idle", "0.5", "--session-timeout-ms", "2000"),
        *("--kafka", kafka.bootstrap, "--topic", topic, "--dlq-topic", f"{topic}.dlq"),
        *("--group", f"finance-{topic}"),
        env=clean_env(**kafka.env()),
    )
    assert outcome.code == 0, outcome.describe()
    assert outcome.stdout == (
        f"finance: applied {len(events)}, skipped 0 duplicate(s), dead-lettered 0\n"
    )


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_consumer_dead_letters_over_tls(ledger: Ledger, kafka: TlsKafka) -> None:
    topic = fresh_topic()
    producer = KafkaProducer(bootstrap_servers=kafka.bootstrap, **kafka.options)
    try:
        producer.send(topic, key=b"junk", value=b"not a cloudevent").get(timeout=30)
    finally:
        producer.close()
    outcome = ledger.run(
        *("consume", "finance", "--once", "--idle", "0.5", "--session-timeout-ms", "2000"),
        *("--kafka", kafka.bootstrap, "--topic", topic, "--dlq-topic", f"{topic}.dlq"),
        *("--group", f"finance-{topic}"),
        env=clean_env(**kafka.env()),
    )
    assert outcome.code == 0, outcome.describe()
    # the dead letter is sent and acknowledged (over TLS) before the offsets are committed
    assert outcome.stdout == "finance: applied 0, skipped 0 duplicate(s), dead-lettered 1\n"
