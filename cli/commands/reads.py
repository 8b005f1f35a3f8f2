"""Commands that read: show, history, list, policy show."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

import click

from cli import render
from cli.context import LedgerContext, pass_ledger
from cli.options import json_option, refund_argument
from ledger.app import filters, inputs
from ledger.app.queries import Page
from ledger.domain.actor import Actor
from ledger.domain.vocabulary import STATUSES
from ledger.policy_file import load_policy

F = TypeVar("F", bound=Callable[..., Any])


def reader_option(function: F) -> F:
    return click.option(
        "--actor",
        metavar="ROLE:NAME",
        help="Read as this actor, as its API token would: a customer sees only its own "
        "refunds, in the customer view. Without it: everything.",
    )(function)


def _reader(actor: str | None) -> Actor | None:
    return None if actor is None else Actor.acting(actor)


@click.command(short_help="Show one refund.")
@refund_argument
@click.option("--as-of", metavar="ISO8601", help="Show the refund as it stood at this time.")
@reader_option
@json_option
@pass_ledger
def show(
    ledger: LedgerContext, refund: str, as_of: str | None, actor: str | None, as_json: bool
) -> None:
    """Show a refund now, or exactly as it stood at --as-of (replayed from its events)."""
    refund_id, viewer = inputs.refund_id(refund), _reader(actor)
    moment = None if as_of is None else inputs.moment(as_of, field="as_of")
    render.refund(ledger.queries.show(viewer, refund_id, moment), as_json)


@click.command(short_help="Every event of a refund, in order.")
@refund_argument
@reader_option
@json_option
@pass_ledger
def history(ledger: LedgerContext, refund: str, actor: str | None, as_json: bool) -> None:
    """Every stored event of the refund, from the event store, oldest first."""
    refund_id, viewer = inputs.refund_id(refund), _reader(actor)
    render.history(ledger.queries.history(viewer, refund_id), as_json)


@click.command(name="list", short_help="List refunds.")
@click.option("--status", help=f"Only this status: {', '.join(STATUSES)}.")
@click.option("--customer", help="Only this customer's refunds.")
@click.option("--order", help="Only this order's refunds.")
@click.option("--reason", help="Only this reason code.")
@click.option("--tier", help="Only refunds at this approval tier (e.g. manager, finance).")
@click.option("--since", metavar="ISO8601", help="Only refunds requested at or after this time.")
@click.option("--until", metavar="ISO8601", help="Only refunds requested at or before this time.")
@click.option("--limit", type=click.IntRange(1, 10_000), help="At most this many refunds.")
@click.option("--offset", type=click.IntRange(0), default=0, help="Skip this many refunds first.")
@click.option("--cursor", metavar="REFUND", help="Start after this refund (the last of a page).")
@reader_option
@json_option
@pass_ledger
def list_refunds(
    ledger: LedgerContext,
    status: str | None,
    customer: str | None,
    order: str | None,
    reason: str | None,
    tier: str | None,
    since: str | None,
    until: str | None,
    limit: int | None,
    offset: int,
    cursor: str | None,
    actor: str | None,
    as_json: bool,
) -> None:
    """List refunds, oldest first, from the status view (caught up first), with filters."""
    viewer = _reader(actor)
    where = filters.refund_filter(status, customer, order, reason, tier, since, until)
    after = None if cursor is None else str(inputs.refund_id(cursor))
    page = Page(limit=limit, offset=offset, after=after)
    render.refunds(render.fresh(ledger.queries.refunds(viewer, where, page)), as_json)


@click.group(short_help="Inspect the policy.")
def policy() -> None:
    """The rules the ledger applies (the shipped default, merged with LEDGER_POLICY)."""


@policy.command(name="show", short_help="Print the policy in force and its version.")
@json_option
@pass_ledger
def policy_show(ledger: LedgerContext, as_json: bool) -> None:
    """Print the policy in force and its version (a hash of its content)."""
    loaded = load_policy(ledger.settings.policy_path)
    data: dict[str, Any] = {
        "version": loaded.version,
        "source": ledger.settings.policy_path or "built-in default",
        "policy": loaded.model_dump(mode="json"),
    }
    if as_json:
        render.emit_json(data)
        return
    click.echo(f"policy version {data['version']} ({data['source']})")
    for section, values in data["policy"].items():
        click.echo(f"[{section}]")
        items = values.items() if isinstance(values, dict) else [("value", values)]
        for key, value in items:
            click.echo(f"  {key} = {json.dumps(value)}")
