"""`ledger relay run|status`: publish the stored refund events to Kafka (docs/product.md §6)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import click

from cli import render
from cli.context import LedgerContext, pass_ledger
from cli.options import json_option
from cli.running import (
    BrokerUnreachable,
    kafka_bootstrap,
    kafka_client_options,
    log_to_stderr,
    stop_on_signals,
)
from ledger.kafka.backoff import BrokerUnavailable
from ledger.kafka.defaults import BATCH, DEFAULT_PARTITIONS, DEFAULT_TIMEOUT_SECONDS

if TYPE_CHECKING:  # the Kafka client loads only for the commands that need it
    from ledger.kafka.relay import Relay


def _summary(relay: Relay) -> str:
    counts = relay.counts
    return (
        f"published {counts.published} refund event(s), passed {counts.skipped} other(s), "
        f"position {relay.position}, {counts.retries} retr{'y' if counts.retries == 1 else 'ies'}"
    )


@click.group(short_help="Publish the refund events to Kafka.")
def relay() -> None:
    """The relay: every stored refund event, in order, to a Kafka topic as a CloudEvent."""


@relay.command(name="run", short_help="Publish new events to Kafka.")
@click.option("--once", is_flag=True, help="Publish everything stored, then exit.")
@click.option(
    "--kafka",
    metavar="HOST:PORT[,...]",
    help="Bootstrap servers (default: LEDGER_KAFKA_BOOTSTRAP).",
)
@click.option(
    "--topic", metavar="NAME", help="Topic (default: LEDGER_RELAY_TOPIC, else refunds.events)."
)
@click.option(
    "--poll",
    type=click.FloatRange(0.05, 60),
    default=0.5,
    show_default=True,
    help="Seconds between looks for new events (PostgreSQL is woken by NOTIFY sooner).",
)
@click.option(
    "--batch",
    type=click.IntRange(1, 10_000),
    default=BATCH,
    show_default=True,
    help="Events read, published and acknowledged per step.",
)
@click.option(
    "--partitions",
    type=click.IntRange(1, 1000),
    default=DEFAULT_PARTITIONS,
    show_default=True,
    help="Partitions of the topic when the relay creates it.",
)
@click.option(
    "--timeout",
    type=click.FloatRange(1, 3600),
    default=60,
    show_default=True,
    help="With --once: give up after the broker failed this many seconds (exit 1).",
)
@click.option(
    "--request-timeout",
    type=click.FloatRange(1, 300),
    default=DEFAULT_TIMEOUT_SECONDS,
    show_default=True,
    help="Seconds a Kafka request or acknowledgement may take before the relay retries.",
)
@pass_ledger
def run(
    ledger: LedgerContext,
    once: bool,
    kafka: str | None,
    topic: str | None,
    poll: float,
    batch: int,
    partitions: int,
    timeout: float,
    request_timeout: float,
) -> None:
    """Publish every stored refund event after the relay's position, then follow new ones
    until stopped (SIGINT or SIGTERM). Broker trouble is logged and retried, never fatal.

    TLS and SASL come from LEDGER_KAFKA_SECURITY_PROTOCOL, LEDGER_KAFKA_SSL_* and
    LEDGER_KAFKA_SASL_* (see the README), checked before any connection."""
    bootstrap = kafka_bootstrap(ledger, kafka)
    security = kafka_client_options(ledger)
    from ledger.kafka.producer import Publisher

    connections = log_to_stderr(client_options=security)
    attempt = min(max(timeout / 3, 1), request_timeout) if once else request_timeout
    topic = topic or ledger.settings.relay_topic
    publisher = Publisher(bootstrap, topic, partitions, attempt, client_options=security)
    relay = ledger.container.relay(publisher, batch)
    stop = stop_on_signals()
    try:
        if once:
            started = time.perf_counter()
            relay.catch_up(stop, give_up_after=timeout)
            click.echo(f"{_summary(relay)} in {time.perf_counter() - started:.2f} s")
            return
        relay.follow(stop, poll)
        click.echo(f"stopped; {_summary(relay)}")
    except BrokerUnavailable as error:
        raise BrokerUnreachable(connections.explain(str(error))) from None
    finally:
        relay.close()


@relay.command(name="status", short_help="The relay's position and lag.")
@click.option(
    "--topic", metavar="NAME", help="Topic (default: LEDGER_RELAY_TOPIC, else refunds.events)."
)
@json_option
@pass_ledger
def status(ledger: LedgerContext, topic: str | None, as_json: bool) -> None:
    """The relay's position in the notification log and how many events it has not published."""
    from ledger.kafka.relay import relay_state

    state = relay_state(ledger.app, topic or ledger.settings.relay_topic)
    row = {"relay": state.name, "position": state.position, "head": state.head, "lag": state.lag}
    if as_json:
        render.emit_json(row)
        return
    click.echo(f"{state.name:<24} position {state.position:>9}  lag {state.lag:>9}")
