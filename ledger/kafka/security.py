"""How the ledger's Kafka clients authenticate and encrypt: the LEDGER_KAFKA_* settings.

`KafkaSecurity.from_env` reads the settings as given (names and paths; no file is opened, so
a command that never talks to Kafka never fails on them). `client_options()` checks all of
them at once, before any connection, reads the password files, and turns them into the
keyword arguments of kafka-python 3.0.12's KafkaProducer, KafkaConsumer and
KafkaAdminClient. Each mistake is one `InvalidKafkaSettings` line naming the variable; no
message, repr or log line ever holds a password. This module imports no Kafka client.
"""

from __future__ import annotations

import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from ledger.domain.errors import InvalidInput
from ledger.secret_files import checked_file

PREFIX = "LEDGER_KAFKA_"
PROTOCOLS = ("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL")
MECHANISMS = ("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512")
SECRET_OPTIONS = frozenset({"ssl_password", "sasl_plain_password"})
_ON, _OFF = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


class InvalidKafkaSettings(InvalidInput):
    """A LEDGER_KAFKA_* setting that cannot work (exit 2)."""

    code = "invalid-kafka-settings"


class ClientOptions(dict[str, Any]):
    """kafka-python keyword arguments whose repr hides the passwords."""

    def __repr__(self) -> str:
        shown = {k: "<hidden>" if k in SECRET_OPTIONS else v for k, v in self.items()}
        return f"ClientOptions({shown!r})"

    __str__ = __repr__


PLAINTEXT = ClientOptions(security_protocol="PLAINTEXT")


def _setting(name: str) -> Any:
    """A field read from LEDGER_KAFKA_<NAME> (its `env` metadata)."""
    return field(default=None, metadata={"env": PREFIX + name})


@dataclass(frozen=True)
class KafkaSecurity:
    """The LEDGER_KAFKA_* security settings as given (None: not set)."""

    protocol: str | None = _setting("SECURITY_PROTOCOL")
    ssl_cafile: str | None = _setting("SSL_CAFILE")
    ssl_certfile: str | None = _setting("SSL_CERTFILE")
    ssl_keyfile: str | None = _setting("SSL_KEYFILE")
    ssl_password_file: str | None = _setting("SSL_PASSWORD_FILE")
    ssl_check_hostname: str | None = _setting("SSL_CHECK_HOSTNAME")
    sasl_mechanism: str | None = _setting("SASL_MECHANISM")
    sasl_username: str | None = _setting("SASL_USERNAME")
    sasl_password_file: str | None = _setting("SASL_PASSWORD_FILE")
    sasl_password: str | None = field(
        default=None, repr=False, metadata={"env": PREFIX + "SASL_PASSWORD"}
    )

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> KafkaSecurity:
        """Each field from its LEDGER_KAFKA_* variable; an empty one counts as not set."""
        return cls(**{f.name: environ.get(f.metadata["env"]) or None for f in fields(cls)})

    @property
    def security_protocol(self) -> str:
        return (self.protocol or "PLAINTEXT").strip().upper()

    def client_options(self) -> ClientOptions:
        """Check every setting and return kafka-python's keyword arguments for them."""
        protocol = self.security_protocol
        if protocol not in PROTOCOLS:
            raise _invalid("SECURITY_PROTOCOL", f"{self.protocol!r} is not one of", PROTOCOLS)
        tls, sasl = protocol in ("SSL", "SASL_SSL"), protocol.startswith("SASL_")
        self._refuse_unused("SSL_", tls, protocol)
        self._refuse_unused("SASL_", sasl, protocol)
        options = ClientOptions(security_protocol=protocol)
        if tls:
            options.update(self._tls_options())
        if sasl:
            options.update(self._sasl_options(protocol))
        return options

    def _refuse_unused(self, group: str, used: bool, protocol: str) -> None:
        """A TLS or SASL setting the protocol would ignore is a mistake, not a no-op."""
        for f in fields(self):
            name = f.metadata["env"]
            if not used and name.startswith(PREFIX + group) and getattr(self, f.name):
                raise InvalidKafkaSettings(
                    f"{name} is set but {PREFIX}SECURITY_PROTOCOL is {protocol}, "
                    f"which does not use it (choose {_protocols_using(group)}, or unset it)"
                )

    def _tls_options(self) -> dict[str, Any]:
        if self.ssl_keyfile and not self.ssl_certfile:
            raise InvalidKafkaSettings(f"{PREFIX}SSL_KEYFILE needs {PREFIX}SSL_CERTFILE")
        if self.ssl_password_file and not self.ssl_certfile:
            raise InvalidKafkaSettings(f"{PREFIX}SSL_PASSWORD_FILE needs {PREFIX}SSL_CERTFILE")
        options: dict[str, Any] = {"ssl_check_hostname": self._check_hostname()}
        if self.ssl_cafile:
            options["ssl_cafile"] = _readable_file("SSL_CAFILE", self.ssl_cafile)
        if self.ssl_certfile:
            options["ssl_certfile"] = _readable_file("SSL_CERTFILE", self.ssl_certfile)
        if self.ssl_keyfile:
            options["ssl_keyfile"] = _secret_file("SSL_KEYFILE", self.ssl_keyfile)
        if self.ssl_password_file:
            options["ssl_password"] = _password("SSL_PASSWORD_FILE", self.ssl_password_file)
        tls_context(options)
        return options

    def _check_hostname(self) -> bool:
        text = (self.ssl_check_hostname or "on").strip().lower()
        if text not in _ON + _OFF:
            raise _invalid(
                "SSL_CHECK_HOSTNAME", f"{self.ssl_check_hostname!r} is not one of", _ON + _OFF
            )
        return text in _ON

    def _sasl_options(self, protocol: str) -> dict[str, Any]:
        mechanism = (self.sasl_mechanism or "").strip().upper()
        if not mechanism:
            raise _invalid("SASL_MECHANISM", f"is required with {protocol}: one of", MECHANISMS)
        if mechanism not in MECHANISMS:
            raise _invalid("SASL_MECHANISM", f"{self.sasl_mechanism!r} is not one of", MECHANISMS)
        if not self.sasl_username:
            raise InvalidKafkaSettings(f"{PREFIX}SASL_USERNAME is required with {protocol}")
        return {
            "sasl_mechanism": mechanism,
            "sasl_plain_username": self.sasl_username,
            "sasl_plain_password": self._sasl_password(protocol),
        }

    def _sasl_password(self, protocol: str) -> str:
        if self.sasl_password and self.sasl_password_file:
            raise InvalidKafkaSettings(
                f"set {PREFIX}SASL_PASSWORD_FILE or {PREFIX}SASL_PASSWORD, not both"
            )
        if self.sasl_password_file:
            return _password("SASL_PASSWORD_FILE", self.sasl_password_file)
        if self.sasl_password:
            return self.sasl_password
        raise InvalidKafkaSettings(
            f"{PREFIX}SASL_PASSWORD_FILE (or {PREFIX}SASL_PASSWORD) is required with {protocol}"
        )


def _invalid(name: str, what: str, choices: tuple[str, ...]) -> InvalidKafkaSettings:
    return InvalidKafkaSettings(f"{PREFIX}{name} {what} {', '.join(choices)}")


def _protocols_using(group: str) -> str:
    return "SSL or SASL_SSL" if group == "SSL_" else "SASL_PLAINTEXT or SASL_SSL"


def _readable_file(name: str, path: str) -> str:
    return checked_file(f"{PREFIX}{name}", path, False, InvalidKafkaSettings)


def _secret_file(name: str, path: str) -> str:
    return checked_file(f"{PREFIX}{name}", path, True, InvalidKafkaSettings)


def _password(name: str, path: str) -> str:
    """The password in a secret file: its text without the final line break."""
    data = Path(_secret_file(name, path)).read_bytes()
    try:
        text = data.decode("utf-8").removesuffix("\n").removesuffix("\r")
    except UnicodeDecodeError:
        raise InvalidKafkaSettings(f"{PREFIX}{name} {path} is not UTF-8 text") from None
    if not text:
        raise InvalidKafkaSettings(f"{PREFIX}{name} {path} is empty")
    return text


def tls_context(options: Mapping[str, Any]) -> ssl.SSLContext:
    """The TLS context kafka-python 3.0.12 builds from these options (its
    `KafkaSSLTransport._build_ssl_context`, fenced in the tests), with each file loaded now: a
    wrong file or key password is one line, not a failed handshake on every connection."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.check_hostname = bool(options.get("ssl_check_hostname", True))
    if "ssl_cafile" in options:
        try:
            context.load_verify_locations(options["ssl_cafile"])
        except ssl.SSLError as error:
            raise InvalidKafkaSettings(
                f"{PREFIX}SSL_CAFILE {options['ssl_cafile']} holds no usable PEM "
                f"certificate ({error.reason or error})"
            ) from None
    else:
        context.load_default_certs()
    if "ssl_certfile" in options:
        try:
            # an encrypted key without a password: fail, never prompt on the terminal
            password = options.get("ssl_password") or (lambda: b"")
            context.load_cert_chain(options["ssl_certfile"], options.get("ssl_keyfile"), password)
        except ssl.SSLError as error:
            raise InvalidKafkaSettings(
                f"{PREFIX}SSL_CERTFILE {options['ssl_certfile']} and its key cannot be loaded "
                f"({error.reason or 'wrong format'}; a wrong {PREFIX}SSL_PASSWORD_FILE?)"
            ) from None
    return context
