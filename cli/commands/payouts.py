"""Payouts: start, settle or fail the payout of an approved refund."""

from __future__ import annotations

import click

from cli.context import LedgerContext, pass_ledger
from cli.inputs import fill
from cli.keys import answer, key_option, keyed
from cli.options import actor_option, json_option, refund_argument
from ledger.app import inputs
from ledger.app.commands import FailureIn, PayoutIn, SettlementIn
from ledger.domain.actor import Actor
from ledger.domain.vocabulary import METHODS


@click.group(short_help="Start, settle or fail a payout.")
def payout() -> None:
    """Record payouts of approved refunds (finance)."""


@payout.command(name="start", short_help="Start a payout (or retry a failed one).")
@refund_argument
@actor_option
@click.option("--method", help=f"Settlement method: {', '.join(METHODS)} (default: requested).")
@key_option
@json_option
@pass_ledger
def payout_start(
    ledger: LedgerContext,
    refund: str,
    actor: str,
    method: str | None,
    key: str | None,
    as_json: bool,
) -> None:
    """Pay out what is approved and not yet paid; on a failed payout this is the retry."""
    refund_id, who, first = inputs.refund_id(refund), Actor.acting(actor), keyed(key)
    body = fill(PayoutIn, method=method)
    answer(ledger.app.start_payout(refund_id, who, body.method, first), who, first, as_json)


@payout.command(name="settle", short_help="Record a settled payout.")
@refund_argument
@actor_option
@click.option("--reference", required=True, help="The payment provider's reference.")
@key_option
@json_option
@pass_ledger
def payout_settle(
    ledger: LedgerContext, refund: str, actor: str, reference: str, key: str | None, as_json: bool
) -> None:
    """The provider paid the payout in flight."""
    refund_id, who, first = inputs.refund_id(refund), Actor.acting(actor), keyed(key)
    body = fill(SettlementIn, reference=reference)
    settled = ledger.app.settle_payout(refund_id, who, body.reference, first)
    answer(settled, who, first, as_json)


@payout.command(name="fail", short_help="Record a failed payout.")
@refund_argument
@actor_option
@click.option("--reason", required=True, help="Why the provider refused the payout.")
@click.option("--reference", help="The payment provider's reference, if any.")
@key_option
@json_option
@pass_ledger
def payout_fail(
    ledger: LedgerContext,
    refund: str,
    actor: str,
    reason: str,
    reference: str | None,
    key: str | None,
    as_json: bool,
) -> None:
    """The provider refused the payout in flight; `payout start` retries it."""
    refund_id, who, first = inputs.refund_id(refund), Actor.acting(actor), keyed(key)
    body = fill(FailureIn, reason=reason, reference=reference)
    failed = ledger.app.fail_payout(refund_id, who, body.reason, body.reference, first)
    answer(failed, who, first, as_json)
