"""The lifecycle commands: parse, call one application method, answer with the refund."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request, Response

from api.deps import Ledger, Who, in_thread
from api.models import RefundView
from api.responses import COMMAND_PROBLEMS
from api.routes.keys import KEYED, command_key, key_of
from ledger.app import access, inputs
from ledger.app.commands import (
    ApprovalIn,
    FailureIn,
    NoteIn,
    PayoutIn,
    ReasonIn,
    RefundRequestIn,
    ResolutionIn,
    SettlementIn,
    VerificationIn,
)
from ledger.app.keys import Keyed, actor_scoped
from ledger.app.presenters import refund_view
from ledger.app.service import RefundLedger
from ledger.domain.actor import Actor
from ledger.domain.refund import Refund

router = APIRouter(tags=["commands"], responses=COMMAND_PROBLEMS)
Out = dict[str, Any]


def _refund(ledger: RefundLedger, actor: Actor, refund: str) -> UUID:
    """The refund's id, once the actor may see it (to a customer, others' refunds are 404)."""
    return access.addressed(actor, inputs.refund_id(refund), ledger.get)


def _answer(refund: Refund, who: Actor, keyed: Keyed | None, response: Response) -> Out:
    """The refund as `who` sees it; a result the key's first request got is marked so."""
    if keyed is not None and keyed.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return refund_view(refund, who)


@router.post("/refunds", name="request", status_code=201, response_model=RefundView, **KEYED)
@in_thread
def request_refund(
    body: RefundRequestIn,
    response: Response,
    ledger: Ledger,
    who: Who,
    request: Request,
) -> Out:
    """Record a refund request; reasons without returned goods are verified at once."""
    key = command_key(actor_scoped(who, key_of(request)))
    refund = ledger.request(who, body, key)
    response.headers["Location"] = f"/refunds/{refund.id}"
    return _answer(refund, who, key, response)


@router.post("/refunds/{refund_id}/verification", name="verify", response_model=RefundView, **KEYED)
@in_thread
def verify(
    refund_id: str,
    body: VerificationIn,
    response: Response,
    ledger: Ledger,
    who: Who,
    request: Request,
) -> Out:
    """Verify a request whose goods come back; `fail_reason` rejects it."""
    found, keyed = _refund(ledger, who, refund_id), command_key(key_of(request))
    verified = ledger.verify(found, who, body.condition, body.fail_reason, keyed)
    return _answer(verified, who, keyed, response)


@router.post("/refunds/{refund_id}/approvals", name="approve", response_model=RefundView, **KEYED)
@in_thread
def approve(
    refund_id: str,
    body: ApprovalIn,
    response: Response,
    ledger: Ledger,
    who: Who,
    request: Request,
) -> Out:
    """Approve within your authority; large refunds need a second, different approver."""
    found, keyed = _refund(ledger, who, refund_id), command_key(key_of(request))
    approved = ledger.approve(found, who, body.amount, body.note, keyed)
    return _answer(approved, who, keyed, response)


def _reasoned(name: str, path: str, doc: str, method: str | None = None) -> None:
    """The route of a command that takes a required `reason` and calls the ledger's method
    `method` (by default: of its name, as the CLI's `_reasoned` commands do)."""

    @router.post(
        f"/refunds/{{refund_id}}/{path}",
        name=name,
        response_model=RefundView,
        description=doc,
        **KEYED,
    )
    @in_thread
    def route(
        refund_id: str,
        body: ReasonIn,
        response: Response,
        ledger: Ledger,
        who: Who,
        request: Request,
    ) -> Out:
        found, keyed = _refund(ledger, who, refund_id), command_key(key_of(request))
        done = getattr(ledger, method or name)(found, who, body.reason, keyed)
        return _answer(done, who, keyed, response)


_reasoned("reject", "rejection", "Reject a requested or pending refund.")
_reasoned("escalate", "escalation", "Move a pending refund up one approval tier.")
_reasoned("cancel", "cancellation", "Cancel a refund before any payout starts.")


@router.post(
    "/refunds/{refund_id}/payouts", name="payout_start", response_model=RefundView, **KEYED
)
@in_thread
def start_payout(
    refund_id: str,
    body: PayoutIn,
    response: Response,
    ledger: Ledger,
    who: Who,
    request: Request,
) -> Out:
    """Start paying out what is approved and not yet paid (on a failed payout: the retry)."""
    found, keyed = _refund(ledger, who, refund_id), command_key(key_of(request))
    return _answer(ledger.start_payout(found, who, body.method, keyed), who, keyed, response)


@router.post(
    "/refunds/{refund_id}/payouts/settlement",
    name="payout_settle",
    response_model=RefundView,
    **KEYED,
)
@in_thread
def settle_payout(
    refund_id: str,
    body: SettlementIn,
    response: Response,
    ledger: Ledger,
    who: Who,
    request: Request,
) -> Out:
    """The provider paid the payout in flight."""
    found, keyed = _refund(ledger, who, refund_id), command_key(key_of(request))
    settled = ledger.settle_payout(found, who, body.reference, keyed)
    return _answer(settled, who, keyed, response)


@router.post(
    "/refunds/{refund_id}/payouts/failure", name="payout_fail", response_model=RefundView, **KEYED
)
@in_thread
def fail_payout(
    refund_id: str,
    body: FailureIn,
    response: Response,
    ledger: Ledger,
    who: Who,
    request: Request,
) -> Out:
    """The provider refused the payout in flight."""
    found, keyed = _refund(ledger, who, refund_id), command_key(key_of(request))
    failed = ledger.fail_payout(found, who, body.reason, body.reference, keyed)
    return _answer(failed, who, keyed, response)


_reasoned(
    "dispute_open", "disputes", "Dispute a rejected, approved or paid refund.", "open_dispute"
)


@router.post(
    "/refunds/{refund_id}/disputes/resolution",
    name="dispute_resolve",
    response_model=RefundView,
    **KEYED,
)
@in_thread
def resolve_dispute(
    refund_id: str,
    body: ResolutionIn,
    response: Response,
    ledger: Ledger,
    who: Who,
    request: Request,
) -> Out:
    """Uphold the decision, or overturn it (only the difference is then paid out)."""
    found, keyed = _refund(ledger, who, refund_id), command_key(key_of(request))
    resolved = ledger.resolve_dispute(found, who, body.outcome, body.amount, body.rationale, keyed)
    return _answer(resolved, who, keyed, response)


@router.post("/refunds/{refund_id}/notes", name="note", response_model=RefundView, **KEYED)
@in_thread
def add_note(
    refund_id: str,
    body: NoteIn,
    response: Response,
    ledger: Ledger,
    who: Who,
    request: Request,
) -> Out:
    """Add a note to the refund's history (it changes nothing else): `internal` by default,
    or `customer` to show it to the customer."""
    found, keyed = _refund(ledger, who, refund_id), command_key(key_of(request))
    noted = ledger.add_note(found, who, body.text, body.visibility, keyed)
    return _answer(noted, who, keyed, response)
