"""`ledger reconcile`: a payment provider's settlement file against the payouts view."""

from __future__ import annotations

from collections.abc import Iterable
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from cli import render
from cli.context import LedgerContext, pass_ledger
from cli.errors import EXIT_REFUSED
from cli.json_stream import emit_json_object
from cli.options import json_option
from ledger.app.period import Period
from ledger.input_files.opening import MAX_BYTES
from ledger.reconcile.matching import CATEGORIES, LedgerPayout
from ledger.reconcile.settlements import COLUMNS
from ledger.reconcile.streamed import Report, reconcile_file

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text

#: The human report shows at most this many rows per table; --json lists every one.
SHOWN = 200


class Discrepancies(click.ClickException):
    """`--fail-on-mismatch` and the report found something a person must look at."""

    exit_code = EXIT_REFUSED


@click.command(name="reconcile", short_help="Match a provider's settlement file to the payouts.")
@click.option(
    "--settlements",
    "path",
    required=True,
    metavar="FILE.csv",
    help=f"The provider's settlement file: CSV with a header naming {', '.join(COLUMNS)}.",
)
@click.option(
    "--since",
    metavar="ISO8601",
    help="Only payouts the ledger settled at or after this time count as missing at the provider.",
)
@click.option(
    "--until",
    metavar="ISO8601",
    help="Only payouts the ledger settled at or before this time count as missing at the provider.",
)
@click.option(
    "--max-bytes",
    type=click.IntRange(min=1),
    default=MAX_BYTES,
    metavar="N",
    help=f"Refuse a settlement file over N bytes (default {MAX_BYTES}: 256 MiB).",
)
@click.option(
    "--fail-on-mismatch",
    is_flag=True,
    help="Exit 1 after the report when it holds a discrepancy: any finding but matched and "
    "failed_in_both, or a malformed row.",
)
@json_option
@pass_ledger
def reconcile(
    ledger: LedgerContext,
    path: str,
    since: str | None,
    until: str | None,
    max_bytes: int,
    fail_on_mismatch: bool,
    as_json: bool,
) -> None:
    """Match a settlement file's rows to the ledger's payouts by provider reference.

    Reports matched rows, amount and currency mismatches, rows missing or failed in the
    ledger, rows the provider failed but the ledger settled, and payouts settled in the ledger
    but missing from the file (all of them, or those settled between --since and --until).
    Malformed rows are listed with their line numbers; the rest of the file still counts.
    Nothing is changed. The file is streamed: memory stays flat whatever its size. Exit 0 with
    the report (1 with --fail-on-mismatch and a discrepancy); 2 when the file cannot be read
    as a whole (not a regular file, over --max-bytes, not UTF-8, no usable header).
    """
    period = Period.parse(since, until)

    def payouts() -> list[LedgerPayout]:
        """Asked for once the file is read: a file refused opens no database."""
        return render.fresh(ledger.queries.payouts(None))

    with reconcile_file(Path(path), period, payouts, max_bytes) as report:
        if as_json:
            emit_json_object(report.sections())
        else:
            _print(report)
        found = report.summary["discrepancies"]
    if fail_on_mismatch and found:
        raise Discrepancies(f"reconciliation found {found} discrepancy(ies)")


def _print(report: Report) -> None:
    summary = report.summary
    out = render.console()
    table = render.Table(title=f"reconciliation of {summary['rows']} row(s)")
    for column in ("category", "count", "total"):
        table.add_column(column)
    for category, count in summary["counts"].items():
        totals = summary["totals"].get(category, {})
        table.add_row(category, str(count), _money(totals))
    table.add_row("provider settled", "", _money(summary["provider_settled"]))
    table.add_row("ledger settled", "", _money(summary["ledger_settled"]))
    out.print(table)
    for category in CATEGORIES:
        count = summary["counts"][category]
        if count:
            out.print(_findings(f"{category} ({count})", islice(report.items(category), SHOWN)))
            _more(out, count, category)
    count = summary["counts"]["malformed"]
    if count:
        bad = render.Table(title=f"malformed ({count})")
        for column in ("line", "reference", "refund", "reason"):
            bad.add_column(column, no_wrap=column == "refund")
        for row in islice(report.items("malformed"), SHOWN):
            bad.add_row(*_cells(row["line"], row["reference"], row["refund_id"], row["reason"]))
        out.print(bad)
        _more(out, count, "malformed")


def _more(out: Console, count: int, section: str) -> None:
    if count > SHOWN:
        out.print(
            f"... and {count - SHOWN} more {section} row(s) not shown: --json lists every one"
        )


def _findings(title: str, items: Iterable[dict[str, Any]]) -> render.Table:
    table = render.Table(title=title)
    for column in ("line", "reference", "refund", "ledger", "provider"):
        table.add_column(column, no_wrap=column == "refund")
    for item in items:
        table.add_row(
            *_cells(item["line"], item["reference"], item["refund_id"]),
            _side(item, "ledger"),
            _side(item, "provider"),
        )
    return table


def _cells(*values: object) -> list[Text]:
    """Plain text: a provider's file may hold anything, including rich markup like [red]."""
    from rich.text import Text

    return [Text(render.cell("-" if value is None else value)) for value in values]


def _side(item: dict[str, Any], side: str) -> Text:
    from rich.text import Text

    if item[f"{side}_status"] is None:
        return Text("-")
    shown = f"{item[f'{side}_status']} {item[f'{side}_amount']} {item[f'{side}_currency']}"
    return Text(render.cell(shown))


def _money(totals: dict[str, str]) -> str:
    return ", ".join(f"{amount} {currency}" for currency, amount in totals.items()) or "-"
