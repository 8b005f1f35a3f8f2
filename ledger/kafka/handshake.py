"""One TLS handshake with the broker before a Kafka client starts: a certificate the client
refuses is refused on every retry, so it is reported at once instead of after the client's
bootstrap timeout (half a minute of identical log lines).

The handshake uses the context the clients will use (`security.tls_context`). A broker that
cannot be reached, or a handshake that fails for another reason, is left to the clients'
own retries: the broker may be starting.
"""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterator, Mapping
from typing import Any

from kafka.errors import KafkaConnectionError

from ledger.kafka.security import tls_context

TLS_PROTOCOLS = ("SSL", "SASL_SSL")
DEFAULT_SECONDS = 10.0


class BrokerCertificateRefused(KafkaConnectionError):  # type: ignore[misc]  # kafka-python has no types: its error class is Any to mypy
    """The broker's TLS certificate fails verification (a wrong CA file, host name or date)."""

    def __str__(self) -> str:
        return str(self.args[0])


def check_broker_certificate(
    bootstrap: str, client_options: Mapping[str, Any], seconds: float = DEFAULT_SECONDS
) -> None:
    """With TLS, shake hands with the first bootstrap server that accepts a connection, and
    raise BrokerCertificateRefused when its certificate fails verification."""
    if client_options.get("security_protocol") not in TLS_PROTOCOLS:
        return
    context = tls_context(client_options)
    for host, port in servers(bootstrap):
        try:
            with socket.create_connection((host, port), timeout=seconds) as raw:
                with context.wrap_socket(raw, server_hostname=host.rstrip(".")):
                    return  # the handshake passed: the clients will pass it too
        except ssl.SSLCertVerificationError as error:
            raise BrokerCertificateRefused(
                f"the broker's TLS certificate is refused ({error}); "
                f"is LEDGER_KAFKA_SSL_CAFILE the CA that signed it?"
            ) from None
        except OSError:
            continue  # unreachable, reset or another TLS failure: the clients retry


def servers(bootstrap: str) -> Iterator[tuple[str, int]]:
    """The (host, port) pairs of a bootstrap list like `a:9093,[::1]:9093` (port 9092 when
    none is given, as kafka-python assumes)."""
    for entry in bootstrap.split(","):
        entry = entry.strip()
        if not entry:
            continue
        if entry.startswith("["):
            host, _, rest = entry[1:].partition("]")
            port = rest.removeprefix(":")
        else:
            host, _, port = entry.rpartition(":") if ":" in entry else (entry, "", "")
        yield host, int(port) if port.isdigit() else 9092
