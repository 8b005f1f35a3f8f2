"""Disputes: reopen a contested decision, then uphold or overturn it."""

from __future__ import annotations

import click

from cli.context import LedgerContext, pass_ledger
from cli.inputs import fill
from cli.keys import answer, key_option, keyed
from cli.options import actor_option, json_option, refund_argument
from ledger.app import inputs
from ledger.app.commands import OUTCOMES, ReasonIn, ResolutionIn
from ledger.domain.actor import Actor


@click.group(short_help="Open or resolve a dispute.")
def dispute() -> None:
    """Reopen a decision that a customer contests, and record the outcome."""


@dispute.command(name="open", short_help="Open a dispute on a decision.")
@refund_argument
@actor_option
@click.option("--reason", required=True, help="What the customer contests.")
@key_option
@json_option
@pass_ledger
def dispute_open(
    ledger: LedgerContext, refund: str, actor: str, reason: str, key: str | None, as_json: bool
) -> None:
    """Dispute a rejected, approved or paid refund."""
    refund_id, who, first = inputs.refund_id(refund), Actor.acting(actor), keyed(key)
    body = fill(ReasonIn, reason=reason)
    answer(ledger.app.open_dispute(refund_id, who, body.reason, first), who, first, as_json)


@dispute.command(name="resolve", short_help="Resolve a dispute: upheld or overturned.")
@refund_argument
@actor_option
@click.option("--outcome", required=True, help="upheld (decision stands) or overturned.")
@click.option("--amount", help="The new approved amount (overturned only).")
@click.option("--rationale", required=True, help="Why, for the record.")
@key_option
@json_option
@pass_ledger
def dispute_resolve(
    ledger: LedgerContext,
    refund: str,
    actor: str,
    outcome: str,
    amount: str | None,
    rationale: str,
    key: str | None,
    as_json: bool,
) -> None:
    """Uphold the decision, or overturn it; only the difference is then paid out."""
    refund_id, who, first = inputs.refund_id(refund), Actor.acting(actor), keyed(key)
    result = inputs.choice(outcome, "outcome", OUTCOMES, "outcome")
    body = fill(ResolutionIn, outcome=result, amount=amount, rationale=rationale)
    resolved = ledger.app.resolve_dispute(
        refund_id, who, body.outcome, body.amount, body.rationale, first
    )
    answer(resolved, who, first, as_json)
