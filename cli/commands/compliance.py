"""`ledger compliance alerts|archive`: what the compliance consumer stored."""

from __future__ import annotations

import click

from cli import render
from cli.context import LedgerContext, pass_ledger
from cli.options import json_option
from consumers import compliance_queries as queries
from consumers.alerts import KINDS
from consumers.compliance import open_compliance
from ledger.app import inputs


def _refund(text: str | None) -> str | None:
    return None if text is None else str(inputs.refund_id(text))


@click.group(short_help="Alerts and the event archive of the compliance consumer.")
def compliance() -> None:
    """What `ledger consume compliance` stored: alerts and the append-only event archive."""


@compliance.command(name="alerts", short_help="Alerts raised, oldest first.")
@click.option("--kind", metavar="KIND", help=f"Only this kind: {', '.join(KINDS)}.")
@click.option("--refund", metavar="REFUND", help="Only this refund's alerts.")
@json_option
@pass_ledger
def alerts(ledger: LedgerContext, kind: str | None, refund: str | None, as_json: bool) -> None:
    """Fraud flags, dual-control approvals, overturned disputes, SLA escalations, chain breaks."""
    wanted = None if kind is None else inputs.choice(kind, "alert kind", KINDS)
    found = queries.alerts(open_compliance(ledger.app), wanted, _refund(refund))
    if as_json:
        render.emit_json(found)
        return
    table = render.Table(title=f"{len(found)} alert(s)")
    for column in ("id", "raised (UTC)", "kind", "refund", "v", "published", "detail"):
        table.add_column(column, no_wrap=column == "refund")
    for row in found:
        table.add_row(
            str(row["alert_id"]),
            row["raised_at"][:19].replace("T", " "),
            row["kind"],
            row["refund_id"],
            str(row["version"]),
            "yes" if row["published_at"] else "pending",
            row["detail"],
        )
    render.console().print(table)


@compliance.command(name="archive", short_help="Archived events, oldest first.")
@click.option("--refund", metavar="REFUND", help="Only this refund's events.")
@json_option
@pass_ledger
def archive(ledger: LedgerContext, refund: str | None, as_json: bool) -> None:
    """Every event the compliance consumer received, as it arrived (append-only)."""
    found = queries.archive(open_compliance(ledger.app), _refund(refund))
    if as_json:
        render.emit_json(found)
        return
    table = render.Table(title=f"{len(found)} archived event(s)")
    for column in ("id", "refund", "v", "type", "at", "hash", "ce source"):
        table.add_column(column, no_wrap=column in ("refund", "hash"))
    for row in found:
        table.add_row(
            str(row["id"]),
            row["refund_id"],
            str(row["version"]),
            row["ce_type"],
            row["at"][:19].replace("T", " "),
            row["hash"][:16],
            row["source"],
        )
    render.console().print(table)
