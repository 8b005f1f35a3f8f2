"""Event payloads: frozen pydantic models carried by the aggregates' events.

Each stored event has one `payload`; its class names the fact, its fields say who acted and
why. Decisions also record the policy version and the rule that fired, so that they can be
explained and re-evaluated later.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field


class Payload(BaseModel):
    # a dumped payload has every field, so its JSON Schema (schemas/) requires them all
    model_config = ConfigDict(
        frozen=True, extra="forbid", json_schema_serialization_defaults_required=True
    )


class ActorPayload(Payload):
    actor: str


class Decision(ActorPayload):
    policy_version: str
    rule: str


class Item(Payload):
    sku: str
    quantity: int = Field(gt=0)


class RefundRequested(ActorPayload):
    order_id: str
    customer_id: str
    amount: Decimal
    currency: str
    order_total: Decimal
    reason: str
    channel: str
    method: str
    purchased_on: date | None = None
    items: tuple[Item, ...] = ()
    address: str | None = None
    note: str | None = None
    idempotency_key: str | None = None
    fingerprint: str
    policy_version: str


class FraudFlagged(Decision):
    detail: str


class Finding(Payload):
    check: str
    passed: bool
    detail: str


class RefundVerified(Decision):
    passed: bool
    condition: str | None = None
    findings: tuple[Finding, ...]


class RoutedForApproval(Decision):
    tier: str
    approvals_required: int


class ApprovalRecorded(Decision):
    amount: Decimal
    note: str | None = None
    approvals_required: int


class RefundApproved(Decision):
    amount: Decimal
    note: str | None = None
    approvers: tuple[str, ...]


class RefundRejected(Decision):
    reason: str


class RefundEscalated(Decision):
    reason: str
    from_tier: str
    to_tier: str


class SlaBreached(Decision):
    tier: str
    pending_since: str
    as_of: str


class RefundCancelled(ActorPayload):
    reason: str


class PayoutStarted(ActorPayload):
    attempt: int
    method: str
    amount: Decimal


class PayoutSettled(ActorPayload):
    attempt: int
    reference: str
    amount: Decimal


class PayoutFailed(ActorPayload):
    attempt: int
    reason: str
    reference: str | None = None


class DisputeOpened(ActorPayload):
    reason: str
    previous_status: str


class DisputeResolved(Decision):
    outcome: str
    rationale: str
    amount: Decimal | None = None
    previous_status: str


class NoteAdded(ActorPayload):
    text: str


class OverturnRouted(Decision):
    """A dispute resolver overturned a decision beyond what they may approve alone: the
    overturn now waits for approval of `amount` at `tier` (`rule` says why it waits)."""

    rationale: str
    amount: Decimal
    tier: str
    approvals_required: int
    previous_status: str  # the status before the dispute: the decision that stands meanwhile


class OverturnRejected(Decision):
    """An approver refused an overturn that waited for approval: the decision that stood
    before the dispute stands again (`restored_status`, its amounts unchanged)."""

    reason: str
    amount: Decimal  # the overturn amount refused
    restored_status: str


class CustomerNoteAdded(ActorPayload):
    """A note marked for the customer: shown in the customer's view of the refund."""

    text: str


NoteVisibility = Literal["internal", "customer"]
NOTE_VISIBILITIES: tuple[str, ...] = get_args(NoteVisibility)


class OrderOpened(Payload):
    order_id: str
    currency: str
    captured_total: Decimal


class OrderRecorded(ActorPayload):
    """An order's facts, captured by a trusted source or declared by staff in a request."""

    order_id: str
    source: str  # "captured" or "declared"
    customer_id: str
    total: Decimal
    currency: str
    purchased_on: date | None = None
    address: str | None = None


class OrderConfirmed(ActorPayload):
    """A trusted source's capture of an order first declared (or lacking some facts)."""

    order_id: str
    customer_id: str
    total: Decimal
    currency: str
    purchased_on: date | None = None
    address: str | None = None


class OrderReservationChanged(Payload):
    refund_id: str
    amount: Decimal


class CustomerRefundRecorded(Payload):
    customer_id: str
    refund_id: str
    order_id: str
    amount: Decimal
    currency: str
    order_total: Decimal
    at: str


class AddressUsed(Payload):
    address: str
    customer_id: str


class CommandKeyRecorded(ActorPayload):
    """An idempotency key an actor gave a command, saved with the command's own events: which
    command on which refund, a fingerprint of its content, and the refund's version after it
    (the first result, which a retry with the key gets back)."""

    key: str
    command: str
    fingerprint: str
    refund_id: str
    version: int


class OrderCommandKeyRecorded(ActorPayload):
    """An idempotency key an actor gave an order capture, saved with the capture's events (or
    alone when the capture changed nothing): the order's id and version after it, and whether
    it changed anything (the first result, which a retry with the key gets back)."""

    key: str
    command: str
    fingerprint: str
    order_id: str
    version: int
    changed: bool


REFUND_PAYLOADS: tuple[type[Payload], ...] = (
    RefundRequested,
    FraudFlagged,
    RefundVerified,
    RoutedForApproval,
    ApprovalRecorded,
    RefundApproved,
    RefundRejected,
    RefundEscalated,
    SlaBreached,
    RefundCancelled,
    PayoutStarted,
    PayoutSettled,
    PayoutFailed,
    DisputeOpened,
    DisputeResolved,
    NoteAdded,
    OverturnRouted,
    OverturnRejected,
    CustomerNoteAdded,
)
ALL_PAYLOADS: tuple[type[Payload], ...] = REFUND_PAYLOADS + (
    Item,
    Finding,
    OrderOpened,
    OrderRecorded,
    OrderConfirmed,
    OrderReservationChanged,
    CustomerRefundRecorded,
    AddressUsed,
    CommandKeyRecorded,
    OrderCommandKeyRecorded,
)
