"""The LEDGER_KAFKA_* security settings: read, checked, and mapped to kafka-python's options
(no files here: tests/integration/test_kafka_security_files.py has those)."""

from __future__ import annotations

import logging

import pytest
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer

from ledger.config import Settings
from ledger.kafka.security import InvalidKafkaSettings, KafkaSecurity

PASSWORD = "hunter2-Sasl-Secret"
SCRAM = {
    "LEDGER_KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
    "LEDGER_KAFKA_SASL_MECHANISM": "SCRAM-SHA-512",
    "LEDGER_KAFKA_SASL_USERNAME": "ledger-relay",
    "LEDGER_KAFKA_SASL_PASSWORD": PASSWORD,
}


def options(environ: dict[str, str]) -> dict[str, object]:
    return dict(KafkaSecurity.from_env(environ).client_options())


def refusal(environ: dict[str, str]) -> str:
    with pytest.raises(InvalidKafkaSettings) as raised:
        KafkaSecurity.from_env(environ).client_options()
    return raised.value.message


def test_without_settings_the_clients_speak_plaintext() -> None:
    assert options({}) == {"security_protocol": "PLAINTEXT"}


def test_empty_variables_count_as_not_set() -> None:
    environ = {"LEDGER_KAFKA_SECURITY_PROTOCOL": "", "LEDGER_KAFKA_SASL_USERNAME": ""}
    assert KafkaSecurity.from_env(environ) == KafkaSecurity()


def test_sasl_over_tls_maps_to_kafka_python_options() -> None:
    assert options(SCRAM) == {
        "security_protocol": "SASL_SSL",
        "ssl_check_hostname": True,
        "sasl_mechanism": "SCRAM-SHA-512",
        "sasl_plain_username": "ledger-relay",
        "sasl_plain_password": PASSWORD,
    }


def test_names_are_read_in_any_case() -> None:
    environ = {
        **SCRAM,
        "LEDGER_KAFKA_SECURITY_PROTOCOL": "sasl_plaintext",
        "LEDGER_KAFKA_SASL_MECHANISM": "plain",
    }
    mapped = options(environ)
    assert mapped["security_protocol"] == "SASL_PLAINTEXT"
    assert mapped["sasl_mechanism"] == "PLAIN"
    assert "ssl_check_hostname" not in mapped  # no TLS on SASL_PLAINTEXT


@pytest.mark.parametrize(("text", "expected"), [("off", False), ("0", False), ("YES", True)])
def test_hostname_checking_can_be_turned_off(text: str, expected: bool) -> None:
    environ = {"LEDGER_KAFKA_SECURITY_PROTOCOL": "SSL", "LEDGER_KAFKA_SSL_CHECK_HOSTNAME": text}
    assert options(environ) == {"security_protocol": "SSL", "ssl_check_hostname": expected}


def test_every_option_is_a_keyword_of_every_kafka_client() -> None:
    mapped = options(SCRAM) | {"ssl_cafile": "", "ssl_certfile": "", "ssl_keyfile": ""}
    mapped |= {"ssl_password": ""}
    for client in (KafkaProducer, KafkaConsumer, KafkaAdminClient):
        assert set(mapped) <= set(client.DEFAULT_CONFIG), client.__name__


REFUSALS = [
    (
        {"LEDGER_KAFKA_SECURITY_PROTOCOL": "TLS"},
        "LEDGER_KAFKA_SECURITY_PROTOCOL 'TLS' is not one of PLAINTEXT, SSL, SASL_PLAINTEXT, "
        "SASL_SSL",
    ),
    (
        {**SCRAM, "LEDGER_KAFKA_SASL_MECHANISM": "GSSAPI"},
        "LEDGER_KAFKA_SASL_MECHANISM 'GSSAPI' is not one of PLAIN, SCRAM-SHA-256, SCRAM-SHA-512",
    ),
    (
        {**SCRAM, "LEDGER_KAFKA_SASL_MECHANISM": ""},
        "LEDGER_KAFKA_SASL_MECHANISM is required with SASL_SSL: one of PLAIN, SCRAM-SHA-256, "
        "SCRAM-SHA-512",
    ),
    (
        {**SCRAM, "LEDGER_KAFKA_SASL_USERNAME": ""},
        "LEDGER_KAFKA_SASL_USERNAME is required with SASL_SSL",
    ),
    (
        {**SCRAM, "LEDGER_KAFKA_SASL_PASSWORD": ""},
        "LEDGER_KAFKA_SASL_PASSWORD_FILE (or LEDGER_KAFKA_SASL_PASSWORD) is required with SASL_SSL",
    ),
    (
        {**SCRAM, "LEDGER_KAFKA_SASL_PASSWORD_FILE": "/run/secrets/kafka"},
        "set LEDGER_KAFKA_SASL_PASSWORD_FILE or LEDGER_KAFKA_SASL_PASSWORD, not both",
    ),
    (
        {**SCRAM, "LEDGER_KAFKA_SECURITY_PROTOCOL": "SSL"},
        "LEDGER_KAFKA_SASL_MECHANISM is set but LEDGER_KAFKA_SECURITY_PROTOCOL is SSL, which "
        "does not use it (choose SASL_PLAINTEXT or SASL_SSL, or unset it)",
    ),
    (
        {"LEDGER_KAFKA_SASL_PASSWORD": PASSWORD},
        "LEDGER_KAFKA_SASL_PASSWORD is set but LEDGER_KAFKA_SECURITY_PROTOCOL is PLAINTEXT, "
        "which does not use it (choose SASL_PLAINTEXT or SASL_SSL, or unset it)",
    ),
    (
        {"LEDGER_KAFKA_SSL_CAFILE": "/etc/kafka/ca.pem"},
        "LEDGER_KAFKA_SSL_CAFILE is set but LEDGER_KAFKA_SECURITY_PROTOCOL is PLAINTEXT, which "
        "does not use it (choose SSL or SASL_SSL, or unset it)",
    ),
    (
        {"LEDGER_KAFKA_SECURITY_PROTOCOL": "SSL", "LEDGER_KAFKA_SSL_CHECK_HOSTNAME": "maybe"},
        "LEDGER_KAFKA_SSL_CHECK_HOSTNAME 'maybe' is not one of 1, true, yes, on, 0, false, no, off",
    ),
    (
        {"LEDGER_KAFKA_SECURITY_PROTOCOL": "SSL", "LEDGER_KAFKA_SSL_KEYFILE": "/k.pem"},
        "LEDGER_KAFKA_SSL_KEYFILE needs LEDGER_KAFKA_SSL_CERTFILE",
    ),
    (
        {"LEDGER_KAFKA_SECURITY_PROTOCOL": "SSL", "LEDGER_KAFKA_SSL_PASSWORD_FILE": "/p"},
        "LEDGER_KAFKA_SSL_PASSWORD_FILE needs LEDGER_KAFKA_SSL_CERTFILE",
    ),
]


@pytest.mark.parametrize(("environ", "expected"), REFUSALS)
def test_a_setting_that_cannot_work_is_refused_in_one_line(
    environ: dict[str, str], expected: str
) -> None:
    message = refusal(environ)
    assert message == expected
    assert PASSWORD not in message


def test_a_refusal_is_a_usage_error() -> None:
    from cli.errors import EXIT_USAGE, exit_code_for

    with pytest.raises(InvalidKafkaSettings) as raised:
        KafkaSecurity(protocol="TLS").client_options()
    assert exit_code_for(raised.value) == EXIT_USAGE


def test_no_repr_or_str_shows_the_password() -> None:
    security = KafkaSecurity.from_env(SCRAM)
    mapped = security.client_options()
    settings = Settings(kafka_security=security)
    for shown in (repr(security), str(security), repr(mapped), str(mapped), repr(settings)):
        assert PASSWORD not in shown
        assert "ledger-relay" in shown  # the user name is no secret
    assert "'sasl_plain_password': '<hidden>'" in repr(mapped)


def test_settings_read_the_kafka_security_but_check_it_only_when_a_client_starts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LEDGER_KAFKA_SECURITY_PROTOCOL", "TLS")  # a command without Kafka
    monkeypatch.setenv("LEDGER_KAFKA_SSL_CAFILE", "/etc/kafka/ca.pem")
    settings = Settings.from_env()
    assert settings.kafka_security.protocol == "TLS"
    assert settings.kafka_security.ssl_cafile == "/etc/kafka/ca.pem"
    with pytest.raises(InvalidKafkaSettings):
        settings.kafka_security.client_options()


def test_a_logged_connection_failure_is_kept_without_the_password() -> None:
    from cli.running import ConnectionErrors

    connections = ConnectionErrors(KafkaSecurity.from_env(SCRAM).client_options())
    logger = logging.getLogger("test.kafka.connections")
    logger.addHandler(connections)
    logger.propagate = False
    assert connections.explain("Kafka at k:9093 failed") == "Kafka at k:9093 failed"
    logger.error("Connection failed: %s", f"refused\n {PASSWORD} for ledger-relay")
    logger.error("Bootstrap failed: timed out")  # not a connection failure: not kept
    assert connections.explain("Kafka at k:9093 failed") == (
        "Kafka at k:9093 failed; last connection error: refused <hidden> for ledger-relay"
    )
