"""The TLS handshake check before a Kafka client starts, against a real TLS server on
loopback: a refused certificate is reported at once, anything else is left to the clients."""

from __future__ import annotations

import socket
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from waiting import wait_until

from ledger.kafka.handshake import BrokerCertificateRefused, check_broker_certificate
from ledger.kafka.security import KafkaSecurity

from tls_support import TlsFiles, make_tls


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    return make_tls(tmp_path_factory.mktemp("tls"))


class Server:
    """A loopback listener that shakes hands with TLS (or, `silent`, accepts and says
    nothing), counting the connections it accepted."""

    def __init__(self, tls: TlsFiles, silent: bool = False) -> None:
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(tls.server)
        self.silent, self.accepted = silent, 0
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.held: list[socket.socket] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            self.accepted += 1
            if self.silent:
                self.held.append(connection)
                continue
            try:
                with self.context.wrap_socket(connection, server_side=True):
                    pass
            except (ssl.SSLError, OSError):
                pass  # the client refused us

    def close(self) -> None:
        self.listener.close()
        for connection in self.held:
            connection.close()


@pytest.fixture
def server(tls: TlsFiles) -> Iterator[Server]:
    running = Server(tls)
    yield running
    running.close()


def options(ca: Path | None, check_hostname: str = "on") -> dict[str, object]:
    given = {"protocol": "SSL", "ssl_check_hostname": check_hostname}
    return dict(KafkaSecurity(**given, ssl_cafile=str(ca) if ca else None).client_options())


def test_a_certificate_signed_by_the_configured_ca_passes(tls: TlsFiles, server: Server) -> None:
    check_broker_certificate(f"localhost:{server.port}", options(tls.ca), seconds=10)
    assert server.accepted == 1


@pytest.mark.parametrize("which", ["other-ca", "system-cas"])
def test_a_certificate_the_client_cannot_verify_is_refused_at_once(
    tls: TlsFiles, server: Server, which: str
) -> None:
    ca = tls.other_ca if which == "other-ca" else None
    with pytest.raises(BrokerCertificateRefused) as refused:
        check_broker_certificate(f"localhost:{server.port}", options(ca), seconds=10)
    assert str(refused.value).startswith(
        "the broker's TLS certificate is refused ([SSL: CERTIFICATE_VERIFY_FAILED]"
    )


def closed_port() -> int:
    listener = socket.create_server(("127.0.0.1", 0))
    port: int = listener.getsockname()[1]
    listener.close()
    return port


def test_an_unreachable_broker_is_left_to_the_clients_retries(tls: TlsFiles) -> None:
    check_broker_certificate(f"127.0.0.1:{closed_port()}", options(tls.other_ca), seconds=10)


def test_the_next_bootstrap_server_is_tried_after_an_unreachable_one(
    tls: TlsFiles, server: Server
) -> None:
    bootstrap = f"127.0.0.1:{closed_port()},localhost:{server.port}"
    with pytest.raises(BrokerCertificateRefused):
        check_broker_certificate(bootstrap, options(tls.other_ca), seconds=10)
    assert server.accepted == 1


def test_a_server_that_never_answers_the_handshake_is_left_to_the_clients(
    tls: TlsFiles,
) -> None:
    silent = Server(tls, silent=True)
    try:
        check_broker_certificate(f"localhost:{silent.port}", options(tls.other_ca), seconds=0.2)
        wait_until(lambda: silent.accepted == 1, "the silent server to accept the connection")
    finally:
        silent.close()
