"""What the long-running commands (projections run, relay run, consume) share."""

from __future__ import annotations

import logging
import signal
import sys
import threading
from collections.abc import Mapping
from typing import Any

import click

from cli.context import LedgerContext
from ledger.kafka.security import SECRET_OPTIONS, ClientOptions

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class MissingBroker(click.ClickException):
    """No bootstrap servers given: a usage error, exit 2."""

    exit_code = 2


class BrokerUnreachable(click.ClickException):
    """The broker failed a command that needs it: a failure of the environment, exit 4."""

    exit_code = 4


def stop_on_signals() -> threading.Event:
    """An event that SIGTERM and SIGINT set: the command finishes the batch in hand and exits."""
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda signum, frame: stop.set())
    return stop


class ConnectionErrors(logging.Handler):
    """The last connection failure kafka-python logged (say, a TLS certificate it does not
    trust), with the passwords of the client options blanked: what a failed Kafka command
    adds to its one line, as kafka-python's own error says only that it could not connect."""

    PREFIX = "Connection failed: "

    def __init__(self, client_options: Mapping[str, Any]) -> None:
        super().__init__(logging.ERROR)
        self.secrets = [str(v) for k, v in client_options.items() if k in SECRET_OPTIONS and v]
        self.last: str | None = None

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if message.startswith(self.PREFIX):
            for secret in self.secrets:
                message = message.replace(secret, "<hidden>")
            self.last = " ".join(message.removeprefix(self.PREFIX).split())

    def explain(self, message: str) -> str:
        return message if self.last is None else f"{message}; last connection error: {self.last}"


def log_to_stderr(
    kafka_level: int = logging.CRITICAL, client_options: Mapping[str, Any] | None = None
) -> ConnectionErrors:
    """Plain log lines on stderr; kafka-python's own chatter only from `kafka_level` up, but
    its connection failures always reach the returned handler."""
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT, stream=sys.stderr)
    logging.getLogger("kafka").setLevel(kafka_level)
    connections = ConnectionErrors(client_options or {})
    manager = logging.getLogger("kafka.net.manager")  # where kafka-python logs them
    manager.setLevel(min(kafka_level, logging.ERROR))
    manager.propagate = kafka_level <= logging.ERROR  # else they would reach stderr too
    manager.addHandler(connections)
    return connections


def kafka_bootstrap(ledger: LedgerContext, given: str | None) -> str:
    """`--kafka`, else LEDGER_KAFKA_BOOTSTRAP; neither is a usage error (exit 2)."""
    bootstrap = given or ledger.settings.kafka_bootstrap
    if not bootstrap:
        raise MissingBroker("no Kafka broker: pass --kafka HOST:PORT or set LEDGER_KAFKA_BOOTSTRAP")
    return bootstrap


def kafka_client_options(ledger: LedgerContext) -> ClientOptions:
    """The LEDGER_KAFKA_* security options, checked before any connection: a setting that
    cannot work is one line and exit 2 (InvalidKafkaSettings)."""
    return ledger.settings.kafka_security.client_options()
