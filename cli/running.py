"""What the long-running commands (projections run, relay run, consume) share."""

from __future__ import annotations

import logging
import signal
import sys
import threading

import click

from cli.context import LedgerContext
from ledger.delivery.security import ClientOptions

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class MissingBroker(click.ClickException):
    """No bootstrap servers given: a usage error, exit 2."""

    exit_code = 2


def stop_on_signals() -> threading.Event:
    """An event that SIGTERM and SIGINT set: the command finishes the batch in hand and exits."""
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda signum, frame: stop.set())
    return stop


def log_to_stderr(kafka_level: int = logging.CRITICAL) -> None:
    """Plain log lines on stderr; kafka-python's own chatter only from `kafka_level` up."""
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT, stream=sys.stderr)
    logging.getLogger("kafka").setLevel(kafka_level)


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
