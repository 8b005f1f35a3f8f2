"""`ledger projections run|status|rebuild`: keep the read models up to date."""

from __future__ import annotations

from typing import Any

import click

from cli import render
from cli.context import LedgerContext, pass_ledger
from cli.options import json_option
from cli.running import stop_on_signals
from ledger.app import inputs
from ledger.app.queries import BATCH, VIEW_NAMES


@click.group(short_help="Keep the read models up to date.")
def projections() -> None:
    """The read models (status, decision trail) built from the stored events."""


@projections.command(name="run", short_help="Apply new events to every view.")
@click.option("--once", is_flag=True, help="Catch up and exit instead of following.")
@click.option(
    "--poll",
    type=click.FloatRange(0.05, 60),
    default=0.5,
    show_default=True,
    help="Seconds between looks for new events.",
)
@click.option(
    "--batch", type=click.IntRange(1, 10_000), default=BATCH, show_default=True,
    help="Events applied per transaction.",
)  # fmt: skip
@pass_ledger
def run(ledger: LedgerContext, once: bool, poll: float, batch: int) -> None:
    """Catch every view up, then follow new events until stopped (SIGINT or SIGTERM)."""
    views = ledger.queries.projections
    if once:
        click.echo(f"applied {views.catch_up(batch=batch)} event(s)")
        return
    applied = views.follow(stop_on_signals(), poll, batch)
    click.echo(f"stopped; applied {applied} event(s)")


@projections.command(name="status", short_help="Each view's position and lag.")
@json_option
@pass_ledger
def status(ledger: LedgerContext, as_json: bool) -> None:
    """Each view's position in the notification log and how far behind the newest event it is."""
    rows: list[dict[str, Any]] = [
        {"view": s.name, "position": s.position, "head": s.head, "lag": s.lag}
        for s in ledger.queries.view_states()
    ]
    if as_json:
        render.emit_json(rows)
        return
    for row in rows:
        click.echo(f"{row['view']:<16} position {row['position']:>9}  lag {row['lag']:>9}")


@projections.command(name="rebuild", short_help="Rebuild views from zero.")
@click.argument("name", required=False, metavar="[NAME]")
@pass_ledger
def rebuild(ledger: LedgerContext, name: str | None) -> None:
    """Drop a view's rows and position (NAME, or every view) and apply every event again."""
    names = () if name is None else (inputs.choice(name, "view", VIEW_NAMES),)
    applied = ledger.queries.projections.rebuild(*names)
    click.echo(f"rebuilt {', '.join(names or VIEW_NAMES)} from {applied} event(s)")
