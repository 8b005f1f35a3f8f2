"""The topics the ledger's Kafka clients use, created when the broker does not have them.

The relay creates its topic before it opens its producer; each consumer creates the relay's
topic and its dead-letter topic before it subscribes. Both go through `create_topics`, with
the security options of `KafkaSecurity.client_options()`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kafka import KafkaAdminClient
from kafka.errors import TopicAlreadyExistsError

from ledger.kafka.handshake import DEFAULT_SECONDS, check_broker_certificate
from ledger.kafka.security import PLAINTEXT


def create_topics(
    bootstrap: str,
    wanted: Mapping[str, int],
    client_options: Mapping[str, Any] = PLAINTEXT,
    timeout_ms: int | None = None,
) -> None:
    """Create the topics (name -> partitions, one replica each) the broker does not have,
    and wait until they are usable; another process may create one meanwhile. With TLS, a
    broker certificate the client refuses raises BrokerCertificateRefused first.

    `timeout_ms` bounds the admin client's bootstrap and each request (default: the
    client's own)."""
    timeouts = (
        {}
        if timeout_ms is None
        else {
            "bootstrap_timeout_ms": timeout_ms,
            "request_timeout_ms": timeout_ms,
        }
    )
    seconds = DEFAULT_SECONDS if timeout_ms is None else timeout_ms / 1000
    check_broker_certificate(bootstrap, client_options, seconds)
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, **timeouts, **client_options)
    try:
        existing = set(admin.list_topics())
        missing = {
            name: {"num_partitions": partitions, "replication_factor": 1}
            for name, partitions in wanted.items()
            if name not in existing
        }
        if missing:
            try:
                admin.create_topics(missing, wait_for_metadata=True)
            except TopicAlreadyExistsError:
                pass
    finally:
        admin.close()
