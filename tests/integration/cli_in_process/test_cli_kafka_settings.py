"""A LEDGER_KAFKA_* setting that cannot work, through the CLI (in-process): `relay run` and every
`consume` command answer one line and exit 2 before any connection (a listening socket sees
none), never echo a password, and publish nothing; a command that needs no Kafka client
(`relay status`) is not stopped by them."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_support import clean_env
from e2e.relay_support import Watch, seed

from ..in_process import Ledger

SECRET = "p4ssw0rd-never-shown"
TOPIC = "refunds.events.settings"
COMMANDS = {
    "relay": ("relay", "run", "--once", "--topic", TOPIC),
    "finance": ("consume", "finance", "--once", "--topic", TOPIC),
    "compliance": ("consume", "compliance", "--once", "--topic", TOPIC),
}
SCRAM = {
    "LEDGER_KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
    "LEDGER_KAFKA_SASL_MECHANISM": "SCRAM-SHA-256",
    "LEDGER_KAFKA_SASL_USERNAME": "ledger",
}

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    """A port that accepts connections, to show that nobody tried one."""
    with socket.create_server(("127.0.0.1", 0)) as server:
        server.setblocking(False)
        yield server


def cases(tmp_path: Path) -> dict[str, tuple[dict[str, str], str]]:
    exposed = tmp_path / "sasl-password"
    exposed.write_text(SECRET)
    exposed.chmod(0o644)
    missing = tmp_path / "ca.pem"
    return {
        "protocol": (
            {"LEDGER_KAFKA_SECURITY_PROTOCOL": "TLS1.3"},
            "LEDGER_KAFKA_SECURITY_PROTOCOL 'TLS1.3' is not one of PLAINTEXT, SSL, "
            "SASL_PLAINTEXT, SASL_SSL",
        ),
        "mechanism": (
            {**SCRAM, "LEDGER_KAFKA_SASL_MECHANISM": "MD5", "LEDGER_KAFKA_SASL_PASSWORD": SECRET},
            "LEDGER_KAFKA_SASL_MECHANISM 'MD5' is not one of PLAIN, SCRAM-SHA-256, SCRAM-SHA-512",
        ),
        "no-password": (
            SCRAM,
            "LEDGER_KAFKA_SASL_PASSWORD_FILE (or LEDGER_KAFKA_SASL_PASSWORD) is required with "
            "SASL_SSL",
        ),
        "open-password-file": (
            {**SCRAM, "LEDGER_KAFKA_SASL_PASSWORD_FILE": str(exposed)},
            f"LEDGER_KAFKA_SASL_PASSWORD_FILE {exposed} is open to group or others "
            "(mode 0644): it holds a secret, chmod 600 it",
        ),
        "missing-ca": (
            {"LEDGER_KAFKA_SECURITY_PROTOCOL": "SSL", "LEDGER_KAFKA_SSL_CAFILE": str(missing)},
            f"LEDGER_KAFKA_SSL_CAFILE {missing} cannot be read: No such file or directory",
        ),
    }


@pytest.mark.parametrize("command", list(COMMANDS))
@pytest.mark.parametrize(
    "case", ["protocol", "mechanism", "no-password", "open-password-file", "missing-ca"]
)
def test_a_bad_kafka_setting_is_one_line_and_exit_2_before_any_connection(
    ledger: Ledger, listener: socket.socket, tmp_path: Path, command: str, case: str
) -> None:
    seed(ledger.database_url, 1)
    env, expected = cases(tmp_path)[case]
    bootstrap = f"127.0.0.1:{listener.getsockname()[1]}"
    outcome = ledger.run(*COMMANDS[command], "--kafka", bootstrap, env=clean_env(**env))
    assert (outcome.code, outcome.stdout) == (2, ""), outcome.describe()
    assert outcome.stderr == f"error: {expected}\n"
    assert SECRET not in outcome.stderr
    with pytest.raises(BlockingIOError):
        listener.accept()  # nobody connected
    with Watch(ledger.database_url, TOPIC) as watch:
        assert watch()[0] == 0  # nothing published


def test_relay_status_needs_no_kafka_settings_and_shows_no_password(ledger: Ledger) -> None:
    seed(ledger.database_url, 1)
    env = {**SCRAM, "LEDGER_KAFKA_SASL_PASSWORD": SECRET, "LEDGER_KAFKA_SASL_MECHANISM": "MD5"}
    outcome = ledger.run("relay", "status", "--topic", TOPIC, env=clean_env(**env))
    assert outcome.code == 0, outcome.describe()
    assert outcome.stdout.startswith(f"relay.{TOPIC}")
    assert SECRET not in outcome.stdout + outcome.stderr
