"""Commands of the audit log: integrate it, make keys, sign checkpoints, give proofs and
receipts, and check a receipt offline."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from cli import files, render
from cli.context import LedgerContext, pass_ledger
from cli.options import json_option
from cli.running import stop_on_signals
from ledger.app import inputs
from ledger.audit.errors import IntegrityFailure
from ledger.audit.keys import DEFAULT_ORIGIN, load_signer, load_verifier, read_text, write_keys
from ledger.audit.log import BATCH
from ledger.audit.note import NoteError
from ledger.domain.errors import InvalidInput


@click.command(name="integrate", short_help="Add new events to the Merkle log.")
@click.option("--once", is_flag=True, help="Integrate what is stored and exit.")
@click.option(
    "--poll", type=click.FloatRange(0.05, 60), default=0.5, show_default=True,
    help="Seconds between looks for new events.",
)  # fmt: skip
@click.option(
    "--batch", type=click.IntRange(1, 10_000), default=BATCH, show_default=True,
    help="Events integrated per transaction.",
)  # fmt: skip
@pass_ledger
def integrate(ledger: LedgerContext, once: bool, poll: float, batch: int) -> None:
    """Hash every stored event into the log, then follow new ones until stopped (SIGINT or
    SIGTERM). Each page of events commits with the log's position: exactly once."""
    log = ledger.container.audit_log
    if once:
        added = log.integrate(batch)
        click.echo(f"integrated {added} event(s); the log holds {log.head().size}")
        return
    added = log.follow(stop_on_signals(), poll, batch)
    click.echo(f"stopped; integrated {added} event(s)")


@click.command(name="keygen", short_help="Make the log's signing key and verifier key.")
@click.option("--out", "directory", required=True, metavar="DIR", help="Where to write them.")
@click.option(
    "--origin", default=DEFAULT_ORIGIN, show_default=True,
    help="The log's name: the first line of every checkpoint.",
)  # fmt: skip
@click.option("--witness", is_flag=True, help="A witness's cosigning key instead.")
def keygen(directory: str, origin: str, witness: bool) -> None:
    """Write DIR/ledger.key (the signing key, mode 0600: keep it off the database host's
    backups and out of its reach) and DIR/ledger.pub (the verifier key, for auditors and
    witnesses). An existing key is never overwritten."""
    private, public = write_keys(Path(directory), origin, witness)
    click.echo(f"wrote {private} (secret, mode 0600) and {public}")
    click.echo(public.read_text(encoding="utf-8").strip())


@click.command(name="checkpoint", short_help="Sign the log's head and print the checkpoint.")
@click.option("--out", metavar="FILE", help="Also write the checkpoint to FILE.")
@click.option(
    "--publish", metavar="DIR",
    help="Also add it to a directory witnesses read (with the proof from the last one).",
)  # fmt: skip
@files.force_option()
@pass_ledger
def checkpoint(ledger: LedgerContext, out: str | None, publish: str | None, force: bool) -> None:
    """Integrate, sign the tree's head with LEDGER_SIGNING_KEY, keep it, and print it (a
    C2SP signed note). Keep a copy elsewhere: it is what `audit verify --checkpoint` holds
    the database to."""
    from ledger.audit.checkpoints import sign_checkpoint

    path = ledger.settings.signing_key
    if not path:
        raise InvalidInput("LEDGER_SIGNING_KEY is not set: name the file of the signing key")
    signer = load_signer(path)
    target = None if out is None else Path(out)
    if target is not None:
        files.check_target(target, force)
    if publish is not None and not Path(publish).parent.is_dir():
        raise InvalidInput(f"--publish {publish}: its parent directory does not exist")
    note = sign_checkpoint(ledger.container.audit_log, signer, datetime.now(UTC))
    if publish is not None:
        from ledger.audit.publish import publish as add

        add(ledger.container.audit_log, note, Path(publish))
    if target is not None:
        with files.writing(target, force, private=False) as file:
            file.write(note.encode())
    click.echo(note, nl=False)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


@click.command(name="prove", short_help="The inclusion proof of each of a refund's events.")
@click.argument("refund", metavar="ID")
@json_option
@pass_ledger
def prove(ledger: LedgerContext, refund: str, as_json: bool) -> None:
    """Each event of the refund with its inclusion proof in the latest checkpoint."""
    refund_id = inputs.refund_id(refund)
    proofs = ledger.queries.audit.inclusion(None, refund_id)
    if as_json:
        render.emit_json(proofs.as_json(str(refund_id)))
        return
    click.echo(f"checkpoint: size {proofs.size}, root {_b64(proofs.root)}")
    for item in proofs.proven:
        leaf = item.leaf
        click.echo(
            f"version {leaf.originator_version}: leaf {leaf.position}, "
            f"{len(item.proof)} hashes, verified"
        )
    for leaf in proofs.pending:
        click.echo(f"version {leaf.originator_version}: not in a checkpoint yet")


@click.command(name="consistency", short_help="Prove the log extends an older checkpoint.")
@click.option("--old", "old_file", required=True, metavar="FILE", help="The older checkpoint.")
@json_option
@pass_ledger
def consistency(ledger: LedgerContext, old_file: str, as_json: bool) -> None:
    """The consistency proof from the checkpoint in FILE to the latest one; exit 3 when the
    latest is not an append-only extension of it."""
    from ledger.audit.checkpoints import parse_checkpoint

    try:
        old = parse_checkpoint(read_text(old_file, "--old", private=False))
    except NoteError as error:
        raise InvalidInput(f"--old {old_file} is not a checkpoint: {error.message}") from None
    proof = ledger.queries.audit.consistency(None, old.size, old.root)
    if as_json:
        render.emit_json(proof.as_json())
    else:
        click.echo(
            f"size {proof.old_size} -> {proof.new_size}: {len(proof.proof)} hashes, "
            + ("consistent" if proof.consistent else "NOT consistent")
        )
    if not proof.consistent:
        raise IntegrityFailure(
            f"integrity failure: the latest checkpoint (size {proof.new_size}) is not an "
            f"extension of the one in {old_file} (size {proof.old_size})"
        )


@click.command(name="receipt", short_help="Write a refund's receipt, checkable offline.")
@click.argument("refund", metavar="ID")
@click.option("--out", required=True, metavar="FILE", help="Where to write it (mode 0600).")
@files.force_option()
@pass_ledger
def receipt(ledger: LedgerContext, refund: str, out: str, force: bool) -> None:
    """Write the refund's events in their stored form, their inclusion proofs and the signed
    checkpoint to FILE (it holds customer data: mode 0600)."""
    refund_id = inputs.refund_id(refund)
    path = Path(out)
    files.check_target(path, force)
    made = ledger.queries.audit.receipt(None, refund_id)
    with files.writing(path, force, private=True) as file:
        file.write((json.dumps(made.as_json(), indent=1) + "\n").encode())
    later = f"; {made.pending} later event(s) wait for the next checkpoint" if made.pending else ""
    click.echo(f"wrote {out}: {len(made.proofs)} event(s) of refund {refund_id}{later}")


@click.command(name="verify-receipt", short_help="Check a refund's receipt offline.")
@click.argument("receipt_file", metavar="FILE")
@click.option("--key", required=True, metavar="VERIFIER_KEY", help="The log's verifier key.")
@click.option(
    "--witness", "witnesses", multiple=True, metavar="VERIFIER_KEY",
    help="A witness's verifier key (repeatable): its cosignature is checked.",
)  # fmt: skip
@json_option
def verify_receipt(receipt_file: str, key: str, witnesses: tuple[str, ...], as_json: bool) -> None:
    """Check FILE without the database: the checkpoint's signature with the key, each event
    against the signed root. Exit 3 naming what does not hold."""
    from ledger.audit.receipt import verify_receipt as check

    text = read_text(receipt_file, "FILE", private=False)
    known = [load_verifier(w, "--witness") for w in witnesses]
    checked = check(text, load_verifier(key), known)
    if as_json:
        render.emit_json(_checked_json(checked))
    else:
        click.echo(checked.describe())


def _checked_json(checked: Any) -> dict[str, Any]:
    return {
        "valid": True,
        "refund_id": checked.refund_id,
        "origin": checked.origin,
        "tree_size": checked.size,
        "cosigned_by": checked.cosigners,
        "events": [
            {"version": e.originator_version, "type": e.topic.rpartition(":")[2]}
            for e in checked.events
        ],
    }


@click.command(name="witness", short_help="Witness the log: cosign what extends, alert on forks.")
@click.option("--log", "where", required=True, metavar="URL_OR_DIR",
              help="The ledger's HTTP API, or a directory it publishes into.")  # fmt: skip
@click.option("--key", required=True, metavar="FILE", help="This witness's signing key.")
@click.option("--log-key", required=True, metavar="VERIFIER_KEY", help="The log's verifier key.")
@click.option(
    "--state",
    "state_dir",
    required=True,
    metavar="DIR",
    help="Where the witness keeps the last checkpoint it accepted and its cosignatures.",
)
@click.option("--token-file", metavar="FILE", help="A bearer token for the HTTP API (mode 0600).")
@click.option(
    "--alerts-db", metavar="URL", help="The compliance consumer's database (default: the ledger's)."
)
@click.option("--once", is_flag=True, help="Look once and exit (3 when inconsistent).")
@click.option(
    "--every",
    type=click.FloatRange(0.1, 86_400),
    default=60.0,
    show_default=True,
    help="Seconds between looks.",
)
@pass_ledger
def witness(
    ledger: LedgerContext,
    where: str,
    key: str,
    log_key: str,
    state_dir: str,
    token_file: str | None,
    alerts_db: str | None,
    once: bool,
    every: float,
) -> None:
    """Keep the last checkpoint accepted, check that each new one is an append-only extension
    of it (a consistency proof), cosign it (C2SP tlog-cosignature) into DIR/cosigned/, and
    raise a checkpoint_inconsistent compliance alert when the log forks or shrinks."""
    from consumers.compliance import ensure_tables
    from consumers.witnessing import open_witness, witness_round

    judge, log = open_witness(where, key, log_key, state_dir, token_file)
    stop = None if once else stop_on_signals()
    with ledger.container.consumer_store(alerts_db) as store:
        ensure_tables(store)
        while True:
            outcomes = witness_round(store, judge, log, lambda: datetime.now(UTC))
            inconsistent = _report(outcomes)
            if once:
                if inconsistent:
                    raise IntegrityFailure(f"integrity failure: {inconsistent}")
                return
            assert stop is not None
            if stop.wait(every):
                click.echo("stopped")
                return


def _report(outcomes: list[Any]) -> str | None:
    """Print each outcome; the inconsistency found, if any."""
    for outcome in outcomes:
        if outcome.inconsistent is not None:
            click.echo(f"inconsistent: {outcome.inconsistent}")
            return str(outcome.inconsistent)
        click.echo(f"cosigned size {outcome.checkpoint.size}")
    if not outcomes:
        click.echo("nothing new")
    return None


@click.command(name="add-cosignature", short_help="Keep a witness's cosignature of a checkpoint.")
@click.argument("note_file", metavar="FILE")
@click.option(
    "--witness-key",
    required=True,
    metavar="VERIFIER_KEY",
    help="The witness's verifier key: its cosignature is checked first.",
)
@pass_ledger
def add_cosignature(ledger: LedgerContext, note_file: str, witness_key: str) -> None:
    """Add the witness's cosignature in FILE (a checkpoint it cosigned) to the kept
    checkpoint it cosigns, so that receipts carry it."""
    from ledger.audit.checkpoints import add_cosignature as add

    note = read_text(note_file, "FILE", private=False)
    size = add(ledger.container.audit_log, note, load_verifier(witness_key, "--witness-key"))
    click.echo(f"kept the cosignature of the checkpoint of size {size}")
