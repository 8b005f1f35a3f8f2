"""Operational commands: the SLA sweep and the demo."""

from __future__ import annotations

import click

from cli import render
from cli.context import LedgerContext, pass_ledger
from cli.options import json_option
from ledger.app import inputs
from ledger.app.presenters import refund_out
from ledger.app.service import Clock, RefundLedger
from ledger.bootstrap import bootstrap


@click.group(short_help="Service-level agreement tasks.")
def sla() -> None:
    """Keep waiting requests moving."""


@sla.command(name="sweep", short_help="Escalate requests waiting longer than the SLA.")
@click.option("--now", metavar="ISO8601", help="Treat this time as now (default: the clock).")
@json_option
@pass_ledger
def sla_sweep(ledger: LedgerContext, now: str | None, as_json: bool) -> None:
    """Escalate every request pending approval longer than the policy's SLA hours."""
    moment = None if now is None else inputs.moment(now, field="now")
    candidates = render.fresh(ledger.queries.sla_candidates())
    acted = [refund_out(r) for r in ledger.app.sweep_sla(moment, candidates)]
    if as_json:
        render.emit_json(acted)
        return
    click.echo(f"{len(acted)} refund(s) escalated or marked as SLA breaches")
    for row in acted:
        click.echo(f"  {row['id']}  tier {row['tier']}  {row['status']}")


@click.command(short_help="Fill the store with a realistic month of refunds.")
@pass_ledger
def demo(ledger: LedgerContext) -> None:
    """Fill the configured store with a month of refunds (every path), then print a tour."""
    from ledger.demo import run_demo

    def make_app(clock: Clock) -> RefundLedger:
        return bootstrap(ledger.settings, clock=clock).ledger

    run_demo(make_app, click.echo)
