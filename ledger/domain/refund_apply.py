"""How each event changes a refund's state. Runs on every replay, so it decides nothing.

The status view runs it too, on a small state object (ledger/projections/status.py): an
attribute this module sets must exist there.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any

from ledger.domain import payloads as e
from ledger.domain.actor import Actor
from ledger.domain.vocabulary import Status as S


def apply_payload(refund: Any, payload: e.Payload, at: datetime) -> None:
    match payload:
        case e.FraudFlagged(rule=rule):
            refund.flags.append(rule)
        case e.RefundVerified(findings=findings, passed=passed):
            refund.findings = findings
            refund.verified = passed
        case e.RoutedForApproval(tier=tier, approvals_required=required, rule=rule):
            refund.status = S.PENDING_APPROVAL
            refund.tier = tier
            refund.approvals_required = required
            refund.pending_since = at
            refund.last_rule = rule
        case e.ApprovalRecorded():
            refund.approvals.append(payload)
            _decided(refund, payload.actor, approved=True)
        case e.RefundApproved(amount=amount, approvers=approvers, rule=rule):
            refund.status = S.APPROVED
            refund.approved_amount = amount
            _decided(refund, *approvers, approved=True)
            refund.pending_since = None
            refund.last_rule = rule
            _overturn_settled(refund)
        case e.RefundRejected(actor=actor, rule=rule):
            refund.status = S.REJECTED
            _decided(refund, actor)
            refund.pending_since = None
            refund.last_rule = rule
        case e.RefundEscalated(to_tier=tier):
            refund.tier = tier
            refund.pending_since = at
            refund.approvals = []
        case e.SlaBreached():
            refund.breach_recorded_since = refund.pending_since
        case e.RefundCancelled():
            refund.status = S.CANCELLED
            refund.pending_since = None
            _overturn_settled(refund)
        case e.PayoutStarted(attempt=attempt, amount=amount):
            refund.status = S.PAYOUT_PENDING
            refund.payout_attempt = attempt
            refund.payout_amount = amount
        case e.PayoutSettled(amount=amount):
            refund.status = S.PAID
            refund.paid_amount = (refund.paid_amount or Decimal(0)) + amount
            refund.payout_amount = None
        case e.PayoutFailed():
            refund.status = S.PAYOUT_FAILED
            refund.payout_amount = None
        case e.DisputeOpened(previous_status=previous, actor=actor):
            refund.status = S.DISPUTED
            refund.status_before_dispute = previous
            refund.openers = refund.openers | {Actor.parse(actor).person}
        case e.DisputeResolved(outcome="upheld", previous_status=previous, actor=actor):
            refund.last_rule = payload.rule
            refund.status = previous
            refund.status_before_dispute = ""
            _decided(refund, actor)
        case e.DisputeResolved(amount=amount, actor=actor):
            refund.last_rule = payload.rule
            refund.status = S.APPROVED
            _decided(refund, actor, approved=True)
            refund.approved_amount = amount
            refund.status_before_dispute = ""
        case e.OverturnRouted():
            _overturn_routed(refund, payload, at)
        case e.OverturnRejected(restored_status=restored, actor=actor, rule=rule):
            refund.status = restored  # the decision before the dispute, its amounts as they were
            refund.pending_since = None
            refund.last_rule = rule
            _decided(refund, actor)
            _overturn_settled(refund)
        case _:
            pass  # notes and the like change nothing but the version


def _decided(refund: Any, *actors: str, approved: bool = False) -> None:
    """Record who took a decision (and, for approvals and overturns, who approved)."""
    persons = _persons(actors)
    refund.deciders.update(persons)
    if approved:
        refund.approved_by = refund.approved_by | persons


def _overturn_routed(refund: Any, payload: e.OverturnRouted, at: datetime) -> None:
    """The overturn waits for approval; the decision before the dispute keeps its amounts."""
    refund.status = S.PENDING_APPROVAL
    refund.tier = payload.tier
    refund.approvals_required = payload.approvals_required
    refund.approvals = []
    refund.pending_since = at
    refund.last_rule = payload.rule
    refund.overturn_amount = payload.amount
    refund.status_before_dispute = payload.previous_status
    _decided(refund, payload.actor, approved=True)


def _overturn_settled(refund: Any) -> None:
    """No overturn waits any longer (approved, rejected or cancelled)."""
    refund.overturn_amount = None
    refund.status_before_dispute = ""


def _persons(actors: Iterable[str]) -> frozenset[str]:
    return frozenset(Actor.parse(actor).person for actor in actors)
