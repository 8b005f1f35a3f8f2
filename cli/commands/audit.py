"""Commands of the audit: verify the hash chains, export and check offline bundles."""

from __future__ import annotations

from pathlib import Path

import click

from cli import files, render
from cli.commands.search import search
from cli.context import LedgerContext, pass_ledger
from cli.options import json_option
from ledger.app import inputs
from ledger.audit.bundle_check import verify_bundle
from ledger.audit.chains import Report
from ledger.audit.errors import IntegrityFailure


@click.group(short_help="Check the tamper evidence of the stored events.")
def audit() -> None:
    """Tamper evidence: per-refund hash chains, the checkpoint of chain heads, bundles."""


audit.add_command(search)


@audit.command(name="verify", short_help="Check every refund's hash chain and the checkpoint.")
@json_option
@pass_ledger
def verify(ledger: LedgerContext, as_json: bool) -> None:
    """Check every refund's chain and the checkpoint; exit 3 naming the first broken place."""
    _conclude(ledger.queries.verify_chains(), as_json)


def _conclude(report: Report, as_json: bool) -> None:
    """Print the report; raise an integrity failure (exit 3) naming the first break."""
    if as_json:
        render.emit_json(report.as_json())
    elif report.intact:
        click.echo(f"intact: {report.refunds} refunds, {report.events} events checked")
    if not report.intact:
        more = len(report.breaks) - 1
        also = f" (and {more} more broken refund{'s' if more > 1 else ''})" if more else ""
        raise IntegrityFailure(f"integrity failure: {report.breaks[0].describe()}{also}")


@audit.command(name="export", short_help="Write an audit bundle (JSON Lines) to verify offline.")
@click.option("--out", required=True, metavar="FILE", help="Where to write the bundle (mode 0600).")
@files.force_option()
@click.argument("refunds", nargs=-1, metavar="[ID]...")
@pass_ledger
def export(ledger: LedgerContext, out: str, force: bool, refunds: tuple[str, ...]) -> None:
    """Write the events of the given refunds (all when none), their hashes, the checkpoint and
    the policy versions used to FILE; refuse (exit 3) when a chain is broken. An existing FILE
    is kept (exit 1) unless --force; a symbolic link at FILE is never followed."""
    refund_ids = [inputs.refund_id(text) for text in refunds]
    path = Path(out)
    if not path.parent.is_dir():
        raise click.BadParameter(f"directory {path.parent} does not exist", param_hint="--out")
    with files.writing(path, force, private=True) as file:
        summary = ledger.queries.export_bundle(refund_ids, file)
    versions = ", ".join(summary.policy_versions) or "none"
    click.echo(
        f"wrote {out}: {summary.refunds} refunds, {summary.events} events "
        f"(policy versions: {versions})"
    )


@audit.command(name="verify-bundle", short_help="Check an audit bundle offline.")
@click.argument("bundle", metavar="FILE")
@json_option
def verify_bundle_command(bundle: str, as_json: bool) -> None:
    """Check a bundle written by `audit export` without the database; exit 3 when edited."""
    _conclude(verify_bundle(Path(bundle)), as_json)
