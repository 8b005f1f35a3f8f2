"""Commands that read: show, history, list, policy show."""

from __future__ import annotations

import json
from typing import Any

import click

from cli import render
from cli.context import LedgerContext, pass_ledger
from cli.options import json_option, refund_argument
from ledger.app import inputs
from ledger.app.views import event_out, refund_out
from ledger.domain.vocabulary import STATUSES
from ledger.policy_file import load_policy


@click.command(short_help="Show one refund.")
@refund_argument
@click.option("--as-of", metavar="ISO8601", help="Show the refund as it stood at this time.")
@json_option
@pass_ledger
def show(ledger: LedgerContext, refund: str, as_of: str | None, as_json: bool) -> None:
    """Show a refund now, or exactly as it stood at --as-of (replayed from its events)."""
    refund_id = inputs.refund_id(refund)
    moment = None if as_of is None else inputs.moment(as_of, "--as-of")
    found = ledger.app.get(refund_id) if moment is None else ledger.app.as_of(refund_id, moment)
    render.refund(refund_out(found), as_json)


@click.command(short_help="Every event of a refund, in order.")
@refund_argument
@json_option
@pass_ledger
def history(ledger: LedgerContext, refund: str, as_json: bool) -> None:
    """Every stored event of the refund, from the event store, oldest first."""
    refund_id = inputs.refund_id(refund)
    render.history([event_out(event) for event in ledger.app.history(refund_id)], as_json)


@click.command(name="list", short_help="List refunds.")
@click.option("--status", help=f"Only this status: {', '.join(STATUSES)}.")
@click.option("--customer", help="Only this customer's refunds.")
@click.option("--order", help="Only this order's refunds.")
@json_option
@pass_ledger
def list_refunds(
    ledger: LedgerContext,
    status: str | None,
    customer: str | None,
    order: str | None,
    as_json: bool,
) -> None:
    """List refunds, oldest first, filtered by status, customer or order."""
    chosen = None if status is None else inputs.choice(status, "status", STATUSES)
    customer = None if customer is None else inputs.identifier(customer, "customer id")
    order = None if order is None else inputs.identifier(order, "order id")
    found = ledger.app.list_refunds(status=chosen, customer=customer, order=order)
    render.refunds([refund_out(r) for r in found], as_json)


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
