"""Commands of the audit: verify the hash chains, export and check offline bundles."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from cli import files, render
from cli.commands import audit_log
from cli.commands.search import search
from cli.context import LedgerContext, pass_ledger
from cli.options import json_option
from ledger.app import inputs
from ledger.audit.bundle_check import verify_bundle
from ledger.audit.chains import Report
from ledger.audit.errors import IntegrityFailure
from ledger.audit.keys import load_verifier, read_text
from ledger.audit.note import NoteError

if TYPE_CHECKING:
    from ledger.app.audit_reads import Verified


@click.group(short_help="Check the tamper evidence of the stored events.")
def audit() -> None:
    """Tamper evidence: per-refund hash chains, the checkpoint of chain heads, bundles."""


audit.add_command(search)
for command in (
    audit_log.integrate,
    audit_log.keygen,
    audit_log.checkpoint,
    audit_log.prove,
    audit_log.consistency,
    audit_log.receipt,
    audit_log.verify_receipt,
    audit_log.witness,
    audit_log.add_cosignature,
):
    audit.add_command(command)


@audit.command(name="verify", short_help="Check the stored events, against a checkpoint too.")
@click.option(
    "--checkpoint", "checkpoint_file", metavar="FILE",
    help="A signed checkpoint you kept: the stored events must extend it.",
)  # fmt: skip
@click.option("--key", metavar="VERIFIER_KEY", help="The log's verifier key (with --checkpoint).")
@click.option("--views", is_flag=True, help="Also rebuild every read model and compare it.")
@json_option
@pass_ledger
def verify(
    ledger: LedgerContext,
    checkpoint_file: str | None,
    key: str | None,
    views: bool,
    as_json: bool,
) -> None:
    """Check every refund's chain and the checkpoint of chain heads; with --checkpoint and
    --key, also every stored event of every aggregate against the signed tree (trusting
    nothing the database holds); with --views, every read model against the events. Exit 3
    naming the first broken place."""
    if (checkpoint_file is None) != (key is None):
        raise click.UsageError("--checkpoint and --key go together")
    if checkpoint_file is None and not views:
        _conclude(ledger.queries.verify_chains(), as_json)  # today's checks, as they were
        return
    problems: list[str] = []
    report: dict[str, Any] = {}
    if checkpoint_file is not None and key is not None:
        checked = _against(ledger, checkpoint_file, key)
        report["log"] = checked.log.as_json()
        problems += checked.log.problems
        chains = checked.chains
    else:
        chains = ledger.queries.verify_chains()
    report["chains"] = chains.as_json()
    problems += [b.describe() for b in chains.breaks]
    if views:
        viewed = ledger.queries.audit.verify_views()
        report["views"] = viewed.as_json()
        problems += viewed.problems
    if as_json:
        render.emit_json({"intact": not problems, **report})
    elif not problems:
        click.echo(_intact(report))
    if problems:
        more = len(problems) - 1
        also = f" (and {more} more)" if more else ""
        raise IntegrityFailure(f"integrity failure: {problems[0]}{also}")


def _against(ledger: LedgerContext, checkpoint_file: str, key: str) -> Verified:
    verifier = load_verifier(key)
    text = read_text(checkpoint_file, "--checkpoint", private=False)
    try:
        return ledger.queries.audit.verify(text, verifier)
    except NoteError as error:
        raise IntegrityFailure(
            f"integrity failure: the checkpoint {checkpoint_file}: {error.message}"
        ) from None


def _intact(report: dict[str, Any]) -> str:
    chains = report["chains"]
    parts = [f"{chains['refunds']} refunds, {chains['events']} events checked"]
    if "log" in report:
        log = report["log"]
        parts.insert(
            0,
            f"{log['events']} events of every aggregate against the checkpoint of size "
            f"{log['checkpoint_size']}",
        )
    if "views" in report:
        parts.append(f"{report['views']['rows']} view rows in {report['views']['tables']} tables")
    return "intact: " + "; ".join(parts)


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
@click.option(
    "--key", metavar="VERIFIER_KEY",
    help="The log's verifier key: every event must be proven in the signed checkpoint.",
)  # fmt: skip
@json_option
def verify_bundle_command(bundle: str, key: str | None, as_json: bool) -> None:
    """Check a bundle written by `audit export` without the database; exit 3 when edited.
    With --key, each event is also checked against the audit log's signed checkpoint in the
    bundle, which nobody without the signing key can recompute."""
    verifier = None if key is None else load_verifier(key)
    _conclude(verify_bundle(Path(bundle), verifier), as_json)
