"""The lifecycle commands: parse, call one application method, answer with the refund."""

from __future__ import annotations

import hashlib
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Header, Response

from api.deps import Ledger, Who, in_thread
from api.models import (
    ApprovalIn,
    FailureIn,
    NoteIn,
    PayoutIn,
    ReasonIn,
    RefundRequestBody,
    RefundView,
    ResolutionIn,
    SettlementIn,
    VerificationIn,
)
from api.responses import COMMAND_PROBLEMS
from ledger.app import access, inputs
from ledger.app.requests import RefundRequestIn, RequestForm
from ledger.app.service import RefundLedger
from ledger.app.views import refund_view
from ledger.domain.actor import Actor

router = APIRouter(tags=["commands"], responses=COMMAND_PROBLEMS)
Out = dict[str, Any]
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        description="Retrying with the same key returns the first response (letters, digits "
        "and . _ : / # -, at most 100).",
        pattern=inputs.ID_PATTERN,  # checked first by the idempotency layer (400)
    ),
]


def _refund(ledger: RefundLedger, actor: Actor, refund: str) -> UUID:
    """The refund's id, once the actor may see it (to a customer, others' refunds are 404)."""
    refund_id = inputs.refund_id(refund)
    if access.own_customer(actor) is not None:
        access.visible(actor, ledger.get(refund_id))
    return refund_id


def _scoped(actor: Actor, key: str | None) -> str | None:
    """The application's key, for the API's key of this actor: the application collapses one
    key across actors, while the API promises that a key belongs to the actor who sent it."""
    if key is None:
        return None
    digest = hashlib.sha256(f"{actor}\n{key}".encode()).hexdigest()[:16]
    return f"{key.strip()[:80]}#{digest}"


@router.post("/refunds", name="request", status_code=201, response_model=RefundView)
@in_thread
def request_refund(
    body: RefundRequestBody,
    response: Response,
    ledger: Ledger,
    who: Who,
    key: IdempotencyKey = None,
) -> Out:
    """Record a refund request; reasons without returned goods are verified at once."""
    form = RefundRequestIn.parse(
        RequestForm(
            **body.model_dump(exclude={"items"}),
            items=tuple(f"{item.sku}:{item.quantity}" for item in body.items),
            idempotency_key=_scoped(who, key),
        )
    )
    refund = ledger.request(who, form)
    response.headers["Location"] = f"/refunds/{refund.id}"
    return refund_view(refund, who)


@router.post("/refunds/{refund_id}/verification", name="verify", response_model=RefundView)
@in_thread
def verify(refund_id: str, body: VerificationIn, ledger: Ledger, who: Who) -> Out:
    """Verify a request whose goods come back; `fail_reason` rejects it."""
    condition = inputs.optional_text(body.condition, "condition")
    failure = inputs.optional_text(body.fail_reason, "fail_reason")
    found = _refund(ledger, who, refund_id)
    return refund_view(ledger.verify(found, who, condition, failure), who)


@router.post("/refunds/{refund_id}/approvals", name="approve", response_model=RefundView)
@in_thread
def approve(refund_id: str, body: ApprovalIn, ledger: Ledger, who: Who) -> Out:
    """Approve within your authority; large refunds need a second, different approver."""
    note = inputs.optional_text(body.note, "note")
    found = _refund(ledger, who, refund_id)
    return refund_view(ledger.approve(found, who, body.amount, note), who)


@router.post("/refunds/{refund_id}/rejection", name="reject", response_model=RefundView)
@in_thread
def reject(refund_id: str, body: ReasonIn, ledger: Ledger, who: Who) -> Out:
    """Reject a requested or pending refund."""
    reason = inputs.text(body.reason, "reason")
    return refund_view(ledger.reject(_refund(ledger, who, refund_id), who, reason), who)


@router.post("/refunds/{refund_id}/escalation", name="escalate", response_model=RefundView)
@in_thread
def escalate(refund_id: str, body: ReasonIn, ledger: Ledger, who: Who) -> Out:
    """Move a pending refund up one approval tier."""
    reason = inputs.text(body.reason, "reason")
    return refund_view(ledger.escalate(_refund(ledger, who, refund_id), who, reason), who)


@router.post("/refunds/{refund_id}/cancellation", name="cancel", response_model=RefundView)
@in_thread
def cancel(refund_id: str, body: ReasonIn, ledger: Ledger, who: Who) -> Out:
    """Cancel a refund before any payout starts."""
    reason = inputs.text(body.reason, "reason")
    return refund_view(ledger.cancel(_refund(ledger, who, refund_id), who, reason), who)


@router.post("/refunds/{refund_id}/payouts", name="payout_start", response_model=RefundView)
@in_thread
def start_payout(refund_id: str, body: PayoutIn, ledger: Ledger, who: Who) -> Out:
    """Start paying out what is approved and not yet paid (on a failed payout: the retry)."""
    method = None if body.method is None else inputs.method(body.method)
    return refund_view(ledger.start_payout(_refund(ledger, who, refund_id), who, method), who)


@router.post(
    "/refunds/{refund_id}/payouts/settlement", name="payout_settle", response_model=RefundView
)
@in_thread
def settle_payout(refund_id: str, body: SettlementIn, ledger: Ledger, who: Who) -> Out:
    """The provider paid the payout in flight."""
    reference = inputs.single_line(body.reference, "reference")
    return refund_view(ledger.settle_payout(_refund(ledger, who, refund_id), who, reference), who)


@router.post("/refunds/{refund_id}/payouts/failure", name="payout_fail", response_model=RefundView)
@in_thread
def fail_payout(refund_id: str, body: FailureIn, ledger: Ledger, who: Who) -> Out:
    """The provider refused the payout in flight."""
    reason = inputs.text(body.reason, "reason")
    reference = inputs.optional_single_line(body.reference, "reference")
    found = _refund(ledger, who, refund_id)
    return refund_view(ledger.fail_payout(found, who, reason, reference), who)


@router.post("/refunds/{refund_id}/disputes", name="dispute_open", response_model=RefundView)
@in_thread
def open_dispute(refund_id: str, body: ReasonIn, ledger: Ledger, who: Who) -> Out:
    """Dispute a rejected, approved or paid refund."""
    reason = inputs.text(body.reason, "reason")
    return refund_view(ledger.open_dispute(_refund(ledger, who, refund_id), who, reason), who)


@router.post(
    "/refunds/{refund_id}/disputes/resolution", name="dispute_resolve", response_model=RefundView
)
@in_thread
def resolve_dispute(refund_id: str, body: ResolutionIn, ledger: Ledger, who: Who) -> Out:
    """Uphold the decision, or overturn it (only the difference is then paid out)."""
    rationale = inputs.text(body.rationale, "rationale")
    found = _refund(ledger, who, refund_id)
    return refund_view(
        ledger.resolve_dispute(found, who, body.outcome, body.amount, rationale), who
    )


@router.post("/refunds/{refund_id}/notes", name="note", response_model=RefundView)
@in_thread
def add_note(refund_id: str, body: NoteIn, ledger: Ledger, who: Who) -> Out:
    """Add a note to the refund's history (it changes nothing else): `internal` by default,
    or `customer` to show it to the customer."""
    text = inputs.text(body.text, "text")
    found = _refund(ledger, who, refund_id)
    return refund_view(ledger.add_note(found, who, text, body.visibility), who)
