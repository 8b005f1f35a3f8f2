"""`ledger audit search`: decisions across refunds, from the decision-trail view."""

from __future__ import annotations

import click

from cli import render
from cli.context import LedgerContext, pass_ledger
from cli.options import json_option
from ledger.app import filters


@click.command(name="search", short_help="Search decisions across refunds.")
@click.option("--actor", metavar="ROLE:NAME", help="Only events by this actor.")
@click.option("--type", "type_", metavar="TYPE", help="Only this event type, e.g. Approved.")
@click.option("--refund", metavar="REFUND", help="Only this refund's events.")
@click.option("--since", metavar="ISO8601", help="Only events at or after this time.")
@click.option("--until", metavar="ISO8601", help="Only events at or before this time.")
@click.option("--limit", type=click.IntRange(1, 100_000), help="At most this many events.")
@json_option
@pass_ledger
def search(
    ledger: LedgerContext,
    actor: str | None,
    type_: str | None,
    refund: str | None,
    since: str | None,
    until: str | None,
    limit: int | None,
    as_json: bool,
) -> None:
    """Refund events across refunds, oldest first, filtered by actor, type, refund and time."""
    where = filters.trail_filter(actor, type_, refund, since, until)
    found = render.fresh(ledger.queries.search_trail(None, lambda: where, limit))
    if as_json:
        render.emit_json(found)
        return
    table = render.Table(title=f"{len(found)} event(s)")
    for column in ("at (UTC)", "refund", "v", "event", "actor", "rule", "details"):
        table.add_column(column, no_wrap=column == "refund")
    for row in found:
        table.add_row(
            row["at"][:19].replace("T", " "),
            row["refund_id"],
            str(row["version"]),
            row["type"],
            row["actor"] or "-",
            row["rule"] or "-",
            row["summary"],
        )
    render.console().print(table)
