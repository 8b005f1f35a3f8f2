"""`ledger`: the refund ledger's command line (SPEC 7)."""

from __future__ import annotations

import sys

import click

from cli.commands import (
    audit,
    compliance,
    consume,
    finance,
    lifecycle,
    money,
    operations,
    orders,
    projections,
    reads,
    reconcile,
    relay,
    report,
    schemas,
    search,
    serve,
    tokens,
)
from cli.context import LedgerContext
from cli.errors import run_guarded
from ledger.config import Settings


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--db",
    "database_url",
    metavar="URL",
    help="sqlite:///path or postgresql://... (default: LEDGER_DATABASE_URL, else sqlite:///ledger.db).",
)
@click.pass_context
def cli(ctx: click.Context, database_url: str | None) -> None:
    """The refund ledger: every refund decision as an immutable, auditable event."""
    ledger = LedgerContext(Settings.from_env(database_url))
    ctx.obj = ledger
    ctx.call_on_close(ledger.close)


for command in (
    lifecycle.request,
    lifecycle.verify,
    lifecycle.approve,
    lifecycle.reject,
    lifecycle.escalate,
    lifecycle.cancel,
    lifecycle.note,
    orders.order,
    money.payout,
    money.dispute,
    reads.show,
    reads.history,
    reads.list_refunds,
    reads.policy,
    operations.sla,
    operations.demo,
    projections.projections,
    reconcile.reconcile,
    relay.relay,
    audit.audit,
    compliance.compliance,
    report.report,
    schemas.schemas,
    consume.consume,
    finance.finance,
    serve.serve,
    tokens.tokens,
):
    cli.add_command(command)
audit.audit.add_command(search.search)


def main() -> None:
    """Console-script entry point: exit codes 0 done, 1 refused, 2 usage, 3 integrity,
    4 environment (database or broker unreachable, disk full)."""
    sys.exit(run_guarded(lambda: cli.main(standalone_mode=False)))


if __name__ == "__main__":
    main()
