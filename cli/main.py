"""`ledger`: the refund ledger's command line (docs/product.md §7)."""

from __future__ import annotations

import sys

import click

from cli.context import LedgerContext
from cli.errors import run_guarded
from cli.lazy import LazyGroup
from ledger.config import Settings

# Each command's module is imported only when the command runs (or `--help` lists it).
COMMANDS = {
    "request": "cli.commands.lifecycle:request",
    "verify": "cli.commands.lifecycle:verify",
    "approve": "cli.commands.lifecycle:approve",
    "reject": "cli.commands.lifecycle:reject",
    "escalate": "cli.commands.lifecycle:escalate",
    "cancel": "cli.commands.lifecycle:cancel",
    "note": "cli.commands.lifecycle:note",
    "order": "cli.commands.orders:order",
    "payout": "cli.commands.payouts:payout",
    "dispute": "cli.commands.disputes:dispute",
    "show": "cli.commands.reads:show",
    "history": "cli.commands.reads:history",
    "list": "cli.commands.reads:list_refunds",
    "policy": "cli.commands.reads:policy",
    "sla": "cli.commands.operations:sla",
    "demo": "cli.commands.operations:demo",
    "projections": "cli.commands.projections:projections",
    "reconcile": "cli.commands.reconcile:reconcile",
    "relay": "cli.commands.relay:relay",
    "audit": "cli.commands.audit:audit",
    "compliance": "cli.commands.compliance:compliance",
    "report": "cli.commands.report:report",
    "schemas": "cli.commands.schemas:schemas",
    "consume": "cli.commands.consume:consume",
    "finance": "cli.commands.finance:finance",
    "serve": "cli.commands.serve:serve",
    "tokens": "cli.commands.tokens:tokens",
}


@click.group(cls=LazyGroup, lazy=COMMANDS, context_settings={"help_option_names": ["-h", "--help"]})
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


def main() -> None:
    """Console-script entry point: exit codes 0 done, 1 refused, 2 usage, 3 integrity,
    4 environment (database or broker unreachable, disk full)."""
    sys.exit(run_guarded(lambda: cli.main(standalone_mode=False)))


if __name__ == "__main__":
    main()
