"""Commands that move a refund through its lifecycle."""

from __future__ import annotations

import click

from cli.context import LedgerContext, pass_ledger
from cli.inputs import fill
from cli.keys import answer, key_option, keyed
from cli.options import actor_option, json_option, refund_argument
from ledger.app import inputs
from ledger.app.commands import (
    ApprovalIn,
    ItemIn,
    NoteIn,
    ReasonIn,
    RefundRequestIn,
    VerificationIn,
)
from ledger.domain.actor import Actor
from ledger.domain.payloads import NOTE_VISIBILITIES, NoteVisibility
from ledger.domain.vocabulary import CHANNELS, METHODS, REASONS


@click.command(short_help="Record a refund request.")
@click.option("--order", "order_id", required=True, help="The order's id.")
@click.option("--customer", "customer_id", required=True, help="The customer's id.")
@click.option("--amount", help="Amount to refund (optional for goodwill and credit notes).")
@click.option("--currency", required=True, help="ISO 4217 currency code, e.g. EUR.")
@click.option(
    "--order-total",
    help="The order's captured total: needed only to declare an order not on record "
    "(see `ledger order capture`); on a recorded order it must agree.",
)
@click.option("--reason", required=True, help=f"Reason code: {', '.join(REASONS)}.")
@actor_option
@click.option("--purchased-on", help="Purchase date, YYYY-MM-DD.")
@click.option("--channel", default="portal", show_default=True, help=", ".join(CHANNELS))
@click.option("--method", default="original_payment", show_default=True, help=", ".join(METHODS))
@click.option("--item", "items", multiple=True, metavar="SKU:QTY", help="A returned item.")
@click.option("--address", help="Shipping address (used by the fraud rules).")
@click.option("--note", help="Free text from the requester.")
@key_option
@json_option
@pass_ledger
def request(
    ledger: LedgerContext,
    /,
    order_id: str,
    customer_id: str,
    amount: str | None,
    currency: str,
    order_total: str | None,
    reason: str,
    actor: str,
    purchased_on: str | None,
    channel: str,
    method: str,
    items: tuple[str, ...],
    address: str | None,
    note: str | None,
    key: str | None,
    as_json: bool,
) -> None:
    """Record a refund request; reasons without returned goods are verified at once."""
    form = fill(
        RefundRequestIn,
        order_id=order_id,
        customer_id=customer_id,
        amount=amount,
        currency=currency,
        order_total=order_total,
        reason=reason,
        channel=channel,
        method=method,
        purchased_on=purchased_on,
        items=[ItemIn.parse(item) for item in items],
        address=address,
        note=note,
    )
    who, first = Actor.acting(actor), keyed(key, "idempotency key")
    answer(ledger.app.request(who, form, first), who, first, as_json)


@click.command(short_help="Record receipt and condition of returned goods.")
@refund_argument
@actor_option
@click.option("--condition", help="Condition of the goods as received.")
@click.option("--fail", "failure", metavar="REASON", help="Verification failed, and why.")
@key_option
@json_option
@pass_ledger
def verify(
    ledger: LedgerContext,
    refund: str,
    actor: str,
    condition: str | None,
    failure: str | None,
    key: str | None,
    as_json: bool,
) -> None:
    """Verify a request whose goods come back; a failed verification rejects it."""
    refund_id, who, first = inputs.refund_id(refund), Actor.acting(actor), keyed(key)
    body = fill(VerificationIn, condition=condition, fail_reason=failure)
    verified = ledger.app.verify(refund_id, who, body.condition, body.fail_reason, first)
    answer(verified, who, first, as_json)


@click.command(short_help="Approve a pending refund.")
@refund_argument
@actor_option
@click.option("--amount", help="Approve this amount instead of the default.")
@click.option("--note", help="Why, in a sentence.")
@key_option
@json_option
@pass_ledger
def approve(
    ledger: LedgerContext,
    refund: str,
    actor: str,
    amount: str | None,
    note: str | None,
    key: str | None,
    as_json: bool,
) -> None:
    """Approve within your authority; large refunds need a second, different approver."""
    refund_id, who, first = inputs.refund_id(refund), Actor.acting(actor), keyed(key)
    body = fill(ApprovalIn, amount=amount, note=note)
    approved = ledger.app.approve(refund_id, who, body.amount, body.note, first)
    answer(approved, who, first, as_json)


def _reasoned(name: str, short_help: str, doc: str) -> click.Command:
    """A command that takes REFUND, --actor and a required --reason."""

    @click.command(name=name, short_help=short_help, help=doc)
    @refund_argument
    @actor_option
    @click.option("--reason", required=True, help="Why, in a sentence.")
    @key_option
    @json_option
    @pass_ledger
    def command(
        ledger: LedgerContext, refund: str, actor: str, reason: str, key: str | None, as_json: bool
    ) -> None:
        refund_id, who, first = inputs.refund_id(refund), Actor.acting(actor), keyed(key)
        body = fill(ReasonIn, reason=reason)
        action = getattr(ledger.app, name)
        answer(action(refund_id, who, body.reason, first), who, first, as_json)

    return command


reject = _reasoned("reject", "Reject a refund.", "Reject a requested or pending refund.")
escalate = _reasoned(
    "escalate", "Escalate to the next approval tier.", "Move a pending refund up one tier."
)
cancel = _reasoned(
    "cancel", "Cancel a refund before payout.", "Cancel a refund before any payout starts."
)


@click.command(short_help="Add a note to a refund.")
@refund_argument
@actor_option
@click.option("--text", required=True, help="The note.")
@click.option(
    "--visibility",
    type=click.Choice(NOTE_VISIBILITIES),
    help="internal (staff only; the default) or customer (the customer sees it too); a "
    "customer's own note is always customer.",
)
@key_option
@json_option
@pass_ledger
def note(
    ledger: LedgerContext,
    refund: str,
    actor: str,
    text: str,
    visibility: NoteVisibility | None,
    key: str | None,
    as_json: bool,
) -> None:
    """Add a note to the refund's history (it changes nothing else)."""
    refund_id, who, first = inputs.refund_id(refund), Actor.acting(actor), keyed(key)
    body = fill(NoteIn, text=text, visibility=visibility)
    noted = ledger.app.add_note(refund_id, who, body.text, body.visibility, first)
    answer(noted, who, first, as_json)
