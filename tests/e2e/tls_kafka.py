"""A Kafka broker reachable only over TLS: Tansu behind the test TLS proxy, advertised there.

Clients bootstrap at the proxy's address and, as Tansu advertises that address, every later
connection (to produce, fetch or join a group) goes through the proxy too.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ledger.kafka.security import ClientOptions, KafkaSecurity
from localservers.tansu import TansuBroker, free_port

from tls_proxy import TlsProxy
from tls_support import TlsFiles, make_tls


@dataclass(frozen=True)
class TlsKafka:
    bootstrap: str  # the proxy: TLS only
    files: TlsFiles
    proxy: TlsProxy

    def env(self) -> dict[str, str]:
        """The settings a ledger command needs to reach this broker."""
        return {
            "LEDGER_KAFKA_SECURITY_PROTOCOL": "SSL",
            "LEDGER_KAFKA_SSL_CAFILE": str(self.files.ca),
        }

    @property
    def options(self) -> ClientOptions:
        """The same settings as kafka-python options, for the test's own clients."""
        return KafkaSecurity(protocol="SSL", ssl_cafile=str(self.files.ca)).client_options()


@contextmanager
def tls_kafka(directory: Path) -> Iterator[TlsKafka]:
    """Certificates in `directory`, the proxy, and Tansu behind it; all stopped afterwards."""
    files = make_tls(directory)
    tansu_port = free_port()
    with TlsProxy(files.server, tansu_port) as proxy:
        kafka = TlsKafka(proxy.address, files, proxy)
        broker = TansuBroker(tansu_port, directory, proxy.address, kafka.options)
        broker.start()
        try:
            yield kafka
        finally:
            broker.stop()
