"""The LEDGER_KAFKA_* files on a real file system: found, readable, private when they hold a
secret, loadable by TLS as kafka-python will load them, and the passwords read from them."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import pytest

from ledger.kafka.security import InvalidKafkaSettings, KafkaSecurity

from tls_support import CLIENT_KEY_PASSWORD, TlsFiles, make_tls, write_secret

SASL_SECRET = "s3cret-from-a-file"


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    return make_tls(tmp_path_factory.mktemp("tls"))


def client_tls(tls: TlsFiles, **changes: str) -> KafkaSecurity:
    given = {
        "protocol": "SSL",
        "ssl_cafile": str(tls.ca),
        "ssl_certfile": str(tls.client_cert),
        "ssl_keyfile": str(tls.client_key),
        "ssl_password_file": str(tls.client_key_password),
    }
    return KafkaSecurity(**(given | changes))


def refusal(security: KafkaSecurity) -> str:
    with pytest.raises(InvalidKafkaSettings) as raised:
        security.client_options()
    assert CLIENT_KEY_PASSWORD not in raised.value.message
    assert SASL_SECRET not in raised.value.message
    return raised.value.message


def test_tls_with_a_client_certificate_maps_every_file(tls: TlsFiles) -> None:
    assert client_tls(tls).client_options() == {
        "security_protocol": "SSL",
        "ssl_check_hostname": True,
        "ssl_cafile": str(tls.ca),
        "ssl_certfile": str(tls.client_cert),
        "ssl_keyfile": str(tls.client_key),
        "ssl_password": CLIENT_KEY_PASSWORD,  # without the file's final newline
    }


def test_the_sasl_password_is_read_from_its_file(tmp_path: Path) -> None:
    secret = write_secret(tmp_path / "sasl", f"{SASL_SECRET}\r\n".encode())
    security = KafkaSecurity(
        protocol="SASL_PLAINTEXT",
        sasl_mechanism="SCRAM-SHA-256",
        sasl_username="relay",
        sasl_password_file=str(secret),
    )
    assert security.client_options()["sasl_plain_password"] == SASL_SECRET


def test_a_missing_ca_file_is_named(tls: TlsFiles, tmp_path: Path) -> None:
    missing = tmp_path / "nope.pem"
    assert refusal(client_tls(tls, ssl_cafile=str(missing))) == (
        f"LEDGER_KAFKA_SSL_CAFILE {missing} cannot be read: No such file or directory"
    )


def test_a_directory_is_not_a_ca_file(tls: TlsFiles, tmp_path: Path) -> None:
    assert refusal(client_tls(tls, ssl_cafile=str(tmp_path))) == (
        f"LEDGER_KAFKA_SSL_CAFILE {tmp_path} is not a regular file"
    )


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_an_unreadable_certificate_is_named(tls: TlsFiles, tmp_path: Path) -> None:
    locked = tmp_path / "client.pem"
    locked.write_bytes(tls.client_cert.read_bytes())
    locked.chmod(0)
    assert refusal(client_tls(tls, ssl_certfile=str(locked))) == (
        f"LEDGER_KAFKA_SSL_CERTFILE {locked} cannot be read: Permission denied"
    )


def test_a_ca_file_without_a_certificate_is_refused(tls: TlsFiles, tmp_path: Path) -> None:
    junk = tmp_path / "ca.pem"
    junk.write_text("not a certificate\n")
    message = refusal(client_tls(tls, ssl_cafile=str(junk)))
    assert message.startswith(f"LEDGER_KAFKA_SSL_CAFILE {junk} holds no usable PEM certificate")


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660])
@pytest.mark.parametrize("setting", ["ssl_keyfile", "ssl_password_file"])
def test_a_secret_file_open_to_group_or_others_is_refused(
    tls: TlsFiles, tmp_path: Path, setting: str, mode: int
) -> None:
    source = tls.client_key if setting == "ssl_keyfile" else tls.client_key_password
    exposed = tmp_path / source.name
    exposed.write_bytes(source.read_bytes())
    exposed.chmod(mode)
    variable = f"LEDGER_KAFKA_{setting.upper()}"
    assert refusal(client_tls(tls, **{setting: str(exposed)})) == (
        f"{variable} {exposed} is open to group or others (mode {mode:04o}): "
        "it holds a secret, chmod 600 it"
    )


def test_a_sasl_password_file_open_to_others_is_refused(tmp_path: Path) -> None:
    secret = tmp_path / "sasl"
    secret.write_text(SASL_SECRET)
    secret.chmod(0o644)
    security = KafkaSecurity(
        protocol="SASL_SSL",
        sasl_mechanism="PLAIN",
        sasl_username="relay",
        sasl_password_file=str(secret),
    )
    assert refusal(security) == (
        f"LEDGER_KAFKA_SASL_PASSWORD_FILE {secret} is open to group or others (mode 0644): "
        "it holds a secret, chmod 600 it"
    )


def test_an_empty_password_file_is_refused(tls: TlsFiles, tmp_path: Path) -> None:
    empty = write_secret(tmp_path / "empty", b"\n")
    assert refusal(client_tls(tls, ssl_password_file=str(empty))) == (
        f"LEDGER_KAFKA_SSL_PASSWORD_FILE {empty} is empty"
    )


def test_a_wrong_key_password_is_refused_before_any_connection(
    tls: TlsFiles, tmp_path: Path
) -> None:
    wrong = write_secret(tmp_path / "wrong", b"not-the-password\n")
    message = refusal(client_tls(tls, ssl_password_file=str(wrong)))
    assert message.startswith(
        f"LEDGER_KAFKA_SSL_CERTFILE {tls.client_cert} and its key cannot be loaded"
    )
    assert "not-the-password" not in message


def test_an_encrypted_key_without_its_password_is_refused_not_prompted_for(
    tls: TlsFiles,
) -> None:
    message = refusal(replace(client_tls(tls), ssl_password_file=None))
    assert "and its key cannot be loaded" in message
