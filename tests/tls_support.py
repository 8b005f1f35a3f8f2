"""A throwaway certificate authority for the TLS tests, made with `cryptography`.

`make_tls(directory)` writes a self-signed CA, a server certificate for 127.0.0.1 and
localhost signed by it (with its key, in one PEM: what `tansu broker --cert` reads), and a
client certificate whose key is encrypted with a password (for the client-certificate
settings). Every key and password file is mode 0600.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

CLIENT_KEY_PASSWORD = "client-key-pass-7f3a"


@dataclass(frozen=True)
class TlsFiles:
    ca: Path  # the CA certificate (LEDGER_KAFKA_SSL_CAFILE)
    server: Path  # the server certificate and its key, for the broker
    client_cert: Path
    client_key: Path  # encrypted with CLIENT_KEY_PASSWORD
    client_key_password: Path  # holds CLIENT_KEY_PASSWORD
    other_ca: Path  # a CA that signed nothing here


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _builder(
    subject: x509.Name, issuer: x509.Name, key: ec.EllipticCurvePrivateKey
) -> x509.CertificateBuilder:
    now = datetime.datetime.now(datetime.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=2))
    )


def _ca(name: str) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    usage = x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=True,
        crl_sign=True,
        encipher_only=False,
        decipher_only=False,
    )
    certificate = (
        _builder(_name(name), _name(name), key)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(usage, critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .sign(key, hashes.SHA256())
    )
    return key, certificate


def _leaf(
    ca: tuple[ec.EllipticCurvePrivateKey, x509.Certificate], name: str, server: bool
) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    ca_key, ca_certificate = ca
    key = ec.generate_private_key(ec.SECP256R1())
    purpose = ExtendedKeyUsageOID.SERVER_AUTH if server else ExtendedKeyUsageOID.CLIENT_AUTH
    builder = (
        _builder(_name(name), ca_certificate.subject, key)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([purpose]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
    )
    if server:
        names = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    return key, builder.sign(ca_key, hashes.SHA256())


def _pem(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.PEM)


def _key_pem(key: ec.EllipticCurvePrivateKey, password: str | None = None) -> bytes:
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(password.encode())
        if password
        else serialization.NoEncryption()
    )
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    )


def write_secret(path: Path, data: bytes) -> Path:
    """Write `data` to a new file of mode 0600."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(data)
    return path


def make_tls(directory: Path) -> TlsFiles:
    """Write a CA, a server certificate and a client certificate into `directory`."""
    ca = _ca("ledger test CA")
    server_key, server_certificate = _leaf(ca, "localhost", server=True)
    client_key, client_certificate = _leaf(ca, "ledger-relay", server=False)
    (directory / "ca.pem").write_bytes(_pem(ca[1]))
    (directory / "other-ca.pem").write_bytes(_pem(_ca("another CA")[1]))
    (directory / "client.pem").write_bytes(_pem(client_certificate))
    return TlsFiles(
        ca=directory / "ca.pem",
        server=write_secret(
            directory / "server.pem", _pem(server_certificate) + _key_pem(server_key)
        ),
        client_cert=directory / "client.pem",
        client_key=write_secret(
            directory / "client.key", _key_pem(client_key, CLIENT_KEY_PASSWORD)
        ),
        client_key_password=write_secret(
            directory / "client.key.pass", f"{CLIENT_KEY_PASSWORD}\n".encode()
        ),
        other_ca=directory / "other-ca.pem",
    )
