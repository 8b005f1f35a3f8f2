"""The bootstrap list the TLS handshake check walks, and what it leaves alone."""

from __future__ import annotations

import pytest

from ledger.kafka.handshake import check_broker_certificate, servers
from ledger.kafka.security import PLAINTEXT, ClientOptions


@pytest.mark.parametrize(
    ("bootstrap", "expected"),
    [
        ("broker:9093", [("broker", 9093)]),
        ("a:1, b:2", [("a", 1), ("b", 2)]),
        ("broker", [("broker", 9092)]),
        ("[::1]:9093,[fe80::1]", [("::1", 9093), ("fe80::1", 9092)]),
        ("a:1,,", [("a", 1)]),
    ],
)
def test_the_bootstrap_list_is_read_as_kafka_python_reads_it(
    bootstrap: str, expected: list[tuple[str, int]]
) -> None:
    assert list(servers(bootstrap)) == expected


@pytest.mark.parametrize(
    "options", [PLAINTEXT, ClientOptions(security_protocol="SASL_PLAINTEXT")], ids=str
)
def test_without_tls_no_connection_is_made(options: ClientOptions) -> None:
    # a host name that cannot resolve would raise if the check tried to connect
    check_broker_certificate("no-such-host.invalid:9093", options, seconds=0.1)
