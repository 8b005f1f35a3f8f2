"""`ledger consume finance|compliance`: run a downstream consumer of `refunds.events`
(docs/product.md §6)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

from cli.context import LedgerContext, pass_ledger
from cli.running import (
    BrokerUnreachable,
    kafka_bootstrap,
    kafka_client_options,
    log_to_stderr,
    stop_on_signals,
)
from consumers.compliance import ALERTS_TOPIC, ComplianceHandler
from consumers.finance import FinanceHandler
from consumers.handler import Handler

if TYPE_CHECKING:
    from consumers.witnessing import Witnessing

F = TypeVar("F", bound=Callable[..., Any])
BOOTSTRAP_ENV = "LEDGER_KAFKA_BOOTSTRAP"


def consumer_options(function: F) -> F:
    """The options every consumer command takes (see `run_consumer_command`)."""
    options = [
        click.option("--kafka", "bootstrap", metavar="HOST:PORT",
                     help=f"Kafka bootstrap server (default: {BOOTSTRAP_ENV})."),
        click.option("--topic", default="refunds.events", show_default=True,
                     help="Topic of the relay's CloudEvents."),
        click.option("--dlq-topic", default="refunds.events.dlq", show_default=True,
                     help="Where messages that cannot be processed go."),
        click.option("--group", help="Consumer group id (default: the consumer's name)."),
        click.option("--once", is_flag=True,
                     help="Exit once caught up and idle for --idle seconds."),
        click.option("--idle", type=click.FloatRange(0.1, 3600), default=5.0,
                     show_default=True, help="Seconds without messages that end --once."),
        click.option("--session-timeout-ms", type=click.IntRange(1000, 300_000),
                     default=10_000, show_default=True,
                     help="Group session timeout (the broker may hold a join half as long)."),
        click.option("--db", "storage_url", metavar="URL",
                     help="Database of the consumer's tables (default: the ledger's)."),
    ]  # fmt: skip
    for option in reversed(options):
        function = option(function)
    return function


def run_consumer_command(ledger: LedgerContext, handler: Handler, **options: Any) -> None:
    """Run `handler` under a ConsumerRunner until SIGTERM/SIGINT (or idle, with --once)."""
    bootstrap = kafka_bootstrap(ledger, options["bootstrap"])
    security = kafka_client_options(ledger)
    from kafka.errors import KafkaError  # the Kafka client loads only when a consumer runs

    from consumers.runner import ConsumerRunner

    connections = log_to_stderr(kafka_level=logging.WARNING, client_options=security)
    stop = stop_on_signals()
    session_ms = options["session_timeout_ms"]
    with ledger.container.consumer_store(options["storage_url"]) as store:
        runner = ConsumerRunner(
            handler,
            store,
            bootstrap,
            topic=options["topic"],
            group=options["group"],
            dlq_topic=options["dlq_topic"],
            idle_seconds=options["idle"],
            session_timeout_ms=session_ms,
            heartbeat_interval_ms=max(100, session_ms // 6),
            client_options=security,
        )
        try:
            counts = runner.run(stop, once=options["once"])
        except KafkaError as error:
            message = connections.explain(f"Kafka at {bootstrap}: {error}")
            raise BrokerUnreachable(message) from None
    click.echo(
        f"{handler.name}: applied {counts.applied}, skipped {counts.duplicates} duplicate(s), "
        f"dead-lettered {counts.dead_lettered}"
    )


@click.group(short_help="Run a downstream consumer of refunds.events.")
def consume() -> None:
    """Consumers of the relay's CloudEvents: each in its own group, with its own tables.

    TLS and SASL come from LEDGER_KAFKA_SECURITY_PROTOCOL, LEDGER_KAFKA_SSL_* and
    LEDGER_KAFKA_SASL_* (see the README), checked before any connection."""


@consume.command(name="finance", short_help="Post payouts to the finance journal.")
@consumer_options
@pass_ledger
def finance(ledger: LedgerContext, /, **options: Any) -> None:
    """Post double-entry journal entries for payouts started, settled and failed."""
    run_consumer_command(ledger, FinanceHandler(), **options)


@consume.command(name="compliance", short_help="Archive every event, check chains, raise alerts.")
@consumer_options
@click.option("--alerts-topic", default=ALERTS_TOPIC, show_default=True,
              help="Where alerts are published.")  # fmt: skip
@click.option("--witness-log", metavar="URL_OR_DIR",
              help="Also witness the audit log there (as `audit witness`).")  # fmt: skip
@click.option("--witness-key", metavar="FILE", help="The witness's signing key.")
@click.option("--log-key", metavar="VERIFIER_KEY", help="The log's verifier key.")
@click.option("--witness-state", metavar="DIR", help="The witness's state directory.")
@click.option("--witness-token-file", metavar="FILE", help="A bearer token for the HTTP API.")
@click.option("--witness-every", type=click.FloatRange(1, 86_400), default=60.0,
              show_default=True, help="Seconds between looks at the log.")  # fmt: skip
@pass_ledger
def compliance(
    ledger: LedgerContext,
    /,
    alerts_topic: str,
    witness_log: str | None,
    witness_key: str | None,
    log_key: str | None,
    witness_state: str | None,
    witness_token_file: str | None,
    witness_every: float,
    **options: Any,
) -> None:
    """Archive every event append-only, check each refund's hash chain on arrival, and raise
    alerts (fraud flags, dual-control approvals, overturned disputes, SLA escalations, chain
    breaks), stored and published to the alerts topic. With --witness-log (and the witness's
    key, the log's key and a state directory) it also witnesses the audit log, so a second
    party holds the evidence: a forked or shrunk log is a checkpoint_inconsistent alert."""
    witnessing = None
    if witness_log is not None:
        witnessing = _witnessing(
            witness_log, witness_key, log_key, witness_state, witness_token_file, witness_every
        )
    handler = ComplianceHandler(alerts_topic=alerts_topic, witness=witnessing)
    run_consumer_command(ledger, handler, **options)


def _witnessing(
    where: str,
    key: str | None,
    log_key: str | None,
    state: str | None,
    token_file: str | None,
    every: float,
) -> Witnessing:
    from consumers.witnessing import Witnessing, open_witness

    if key is None or log_key is None or state is None:
        raise click.UsageError("--witness-log needs --witness-key, --log-key and --witness-state")
    names = ("--witness-key", "--log-key", "--witness-state", "--witness-token-file")
    return Witnessing(*open_witness(where, key, log_key, state, token_file, names), every)
