"""Payouts and disputes."""

from __future__ import annotations

import click

from cli import render
from cli.context import LedgerContext, pass_ledger
from cli.options import actor_option, json_option, refund_argument
from ledger.app import inputs
from ledger.app.views import refund_out
from ledger.domain.actor import Actor
from ledger.domain.errors import InvalidInput
from ledger.domain.vocabulary import METHODS


@click.group(short_help="Start, settle or fail a payout.")
def payout() -> None:
    """Record payouts of approved refunds (finance)."""


def _payout_command(name: str, short_help: str, doc: str) -> click.Command:
    @click.command(name=name, short_help=short_help, help=doc)
    @refund_argument
    @actor_option
    @click.option("--method", help=f"Settlement method: {', '.join(METHODS)}.")
    @click.option("--reference", help="The payment provider's reference.")
    @click.option("--reason", help="Why the payout failed.")
    @json_option
    @pass_ledger
    def command(
        ledger: LedgerContext,
        refund: str,
        actor: str,
        method: str | None,
        reference: str | None,
        reason: str | None,
        as_json: bool,
    ) -> None:
        refund_id, who = inputs.refund_id(refund), Actor.parse(actor)
        if name == "start":
            chosen = None if method is None else inputs.method(method)
            result = ledger.app.start_payout(refund_id, who, chosen)
        elif name == "settle":
            if reference is None:
                raise InvalidInput("payout settle needs --reference (the provider's reference)")
            result = ledger.app.settle_payout(refund_id, who, inputs.text(reference, "--reference"))
        else:
            if reason is None:
                raise InvalidInput("payout fail needs --reason")
            text = inputs.text(reason, "--reason")
            ref = inputs.optional_text(reference, "--reference")
            result = ledger.app.fail_payout(refund_id, who, text, ref)
        render.refund(refund_out(result), as_json)

    return command


payout.add_command(
    _payout_command("start", "Start a payout (or retry a failed one).", "Pay what is approved.")
)
payout.add_command(
    _payout_command("settle", "Record a settled payout.", "The provider paid: needs --reference.")
)
payout.add_command(
    _payout_command("fail", "Record a failed payout.", "The provider refused: needs --reason.")
)


@click.group(short_help="Open or resolve a dispute.")
def dispute() -> None:
    """Reopen a decision that a customer contests, and record the outcome."""


@dispute.command(name="open", short_help="Open a dispute on a decision.")
@refund_argument
@actor_option
@click.option("--reason", required=True, help="What the customer contests.")
@json_option
@pass_ledger
def dispute_open(
    ledger: LedgerContext, refund: str, actor: str, reason: str, as_json: bool
) -> None:
    """Dispute a rejected, approved or paid refund."""
    refund_id, who = inputs.refund_id(refund), Actor.parse(actor)
    text = inputs.text(reason, "--reason")
    render.refund(refund_out(ledger.app.open_dispute(refund_id, who, text)), as_json)


@dispute.command(name="resolve", short_help="Resolve a dispute: upheld or overturned.")
@refund_argument
@actor_option
@click.option("--outcome", required=True, help="upheld (decision stands) or overturned.")
@click.option("--amount", help="The new approved amount (overturned only).")
@click.option("--rationale", required=True, help="Why, for the record.")
@json_option
@pass_ledger
def dispute_resolve(
    ledger: LedgerContext,
    refund: str,
    actor: str,
    outcome: str,
    amount: str | None,
    rationale: str,
    as_json: bool,
) -> None:
    """Uphold the decision, or overturn it; only the difference is then paid out."""
    refund_id, who = inputs.refund_id(refund), Actor.parse(actor)
    result = inputs.choice(outcome, "outcome", ("upheld", "overturned"))
    why = inputs.text(rationale, "--rationale")
    resolved = ledger.app.resolve_dispute(refund_id, who, result, amount, why)
    render.refund(refund_out(resolved), as_json)
