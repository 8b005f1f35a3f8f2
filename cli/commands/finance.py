"""`ledger finance journal|trial-balance`: read the finance consumer's journal."""

from __future__ import annotations

from decimal import Decimal

import click

from cli import render
from cli.context import LedgerContext, pass_ledger
from cli.options import json_option
from consumers.finance_books import journal as read_journal
from consumers.finance_books import trial_balance as read_trial_balance
from consumers.finance_books import with_books

storage_option = click.option(
    "--db", "storage_url", metavar="URL", help="Database of the journal (default: the ledger's)."
)


@click.group(short_help="The finance consumer's journal.")
def finance() -> None:
    """Double-entry journal entries posted by `ledger consume finance`."""


@finance.command(name="journal", short_help="Every journal entry and its lines.")
@json_option
@storage_option
@pass_ledger
def journal(ledger: LedgerContext, as_json: bool, storage_url: str | None) -> None:
    """Every entry in posting order: refund, attempt, kind, and its debit and credit lines."""
    with ledger.container.consumer_store(storage_url) as store:
        entries = read_journal(with_books(store))
    if as_json:
        render.emit_json(entries)
        return
    for entry in entries:
        # the memo quotes the provider's reference and reason: stored text, shown escaped
        click.echo(
            f"{entry['posted_at']}  {entry['refund_id']}  attempt {entry['attempt']}  "
            f"{entry['kind']:<8} {entry['currency']}  {render.cell(entry['memo'])}"
        )
        for line in entry["lines"]:
            click.echo(f"    {line['account']:<16} Dr {line['debit']:>12}  Cr {line['credit']:>12}")
    click.echo(f"{len(entries)} entr{'y' if len(entries) == 1 else 'ies'}")


@finance.command(name="trial-balance", short_help="Debits and credits per account.")
@json_option
@storage_option
@pass_ledger
def trial_balance(ledger: LedgerContext, as_json: bool, storage_url: str | None) -> None:
    """Total debits, credits and balance per account and currency; debits equal credits."""
    with ledger.container.consumer_store(storage_url) as store:
        rows = read_trial_balance(with_books(store))
    if as_json:
        render.emit_json(rows)
        return
    totals: dict[str, list[Decimal]] = {}
    for row in rows:
        click.echo(
            f"{row['currency']}  {row['account']:<16} Dr {row['debit']:>12}  "
            f"Cr {row['credit']:>12}  balance {row['balance']:>12}"
        )
        total = totals.setdefault(row["currency"], [Decimal(0), Decimal(0)])
        total[0] += Decimal(row["debit"])
        total[1] += Decimal(row["credit"])
    for currency, (debit, credit) in totals.items():
        click.echo(f"{currency}  {'total':<16} Dr {debit:>12}  Cr {credit:>12}")
