"""`ledger report kpis`: the KPIs of docs/product.md §4 for a period, from the KPI view."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from cli import files, render
from cli.context import LedgerContext, pass_ledger
from cli.options import json_option
from ledger.app.period import Period
from ledger.reports import figures, kpi_html


@click.group(short_help="Reports for finance and operations.")
def report() -> None:
    """Figures across refunds, read from the views (caught up first)."""


@report.command(name="kpis", short_help="Counts, amounts, rates and times of a period.")
@click.option("--since", metavar="ISO8601", help="Only refunds requested at or after this time.")
@click.option("--until", metavar="ISO8601", help="Only refunds requested at or before this time.")
@json_option
@click.option(
    "--html",
    "html_file",
    metavar="FILE",
    help="Write a self-contained HTML page with charts to FILE (mode 0600) instead of printing "
    "tables.",
)
@files.force_option("the --html FILE")
@pass_ledger
def kpis_command(
    ledger: LedgerContext,
    since: str | None,
    until: str | None,
    as_json: bool,
    html_file: str | None,
    force: bool,
) -> None:
    """KPIs of the refunds requested in the period (by request time, both ends included).

    Counts and amounts by reason and by channel, approval and automatic-approval rates, median
    and p90 hours to decision and to payout, SLA breaches. With --html FILE the page is
    written and `wrote FILE` printed instead of the tables (with --json, the JSON still goes
    to stdout and `wrote FILE` to stderr). An existing FILE is kept (exit 1) unless --force;
    a symbolic link at FILE is never followed.
    """
    period = Period.parse(since, until)
    target = None if html_file is None else Path(html_file)
    if target is not None:
        files.check_target(target, force)  # before any work
    summary = render.fresh(ledger.queries.kpis(None, lambda: period))
    if target is not None:
        page = kpi_html.page(summary, period.since, period.until, ledger.app.clock())
        with files.writing(target, force, private=True) as file:
            file.write(page.encode("utf-8"))
        click.echo(f"wrote {html_file}", err=as_json)
    if as_json:
        render.emit_json(summary)
    elif target is None:
        _tables(summary, period)


def _tables(summary: dict[str, Any], period: Period) -> None:
    out = render.console()
    heading = f"Refund KPIs, {figures.period(period.since, period.until)}"
    if not summary["refunds"]:
        out.print(f"{heading}: {figures.NO_REFUNDS}")
        return
    overview = render.Table(title=heading, show_header=False)
    overview.add_column(style="bold")
    overview.add_column()
    decision, payout = summary["hours_to_decision"], summary["hours_to_payout"]
    for label, value in (
        ("refunds", str(summary["refunds"])),
        ("approval rate", figures.percent(summary["approval_rate"])),
        ("automatic approval rate", figures.percent(summary["automatic_approval_rate"])),
        ("hours to decision, median / p90", _pair(decision)),
        ("hours to payout, median / p90", _pair(payout)),
        ("decisions", _decisions(summary["decisions"])),
        ("SLA breaches", str(summary["sla_breaches"])),
    ):
        overview.add_row(label, value)
    out.print(overview)
    for column in ("reason", "channel"):
        out.print(_groups(f"by {column}", column, summary[f"by_{column}"]))


def _decisions(counts: dict[str, int]) -> str:
    return ", ".join(f"{n} {kind.replace('_', ' ')}" for kind, n in counts.items())


def _pair(spread: dict[str, float | None]) -> str:
    return f"{figures.hours(spread['median'])} / {figures.hours(spread['p90'])}"


def _groups(title: str, column: str, groups: dict[str, Any]) -> render.Table:
    table = render.Table(title=title)
    for name in (column, "refunds", "requested", "approved", "paid", "SLA breaches"):
        table.add_column(name, justify="left" if name == column else "right")
    for name, group in groups.items():
        table.add_row(
            name,  # data: the console reads no rich markup
            str(group["count"]),
            *(figures.amounts(group[kind]) or "-" for kind in ("requested", "approved", "paid")),
            str(group["sla_breaches"]),
        )
    return table
