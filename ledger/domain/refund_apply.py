"""How each event changes a refund's state. Runs on every replay, so it decides nothing."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from ledger.domain import events as e
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
            refund.deciders.add(Actor.parse(payload.actor).person)
        case e.RefundApproved(amount=amount, approvers=approvers, rule=rule):
            refund.status = S.APPROVED
            refund.approved_amount = amount
            refund.deciders.update(Actor.parse(a).person for a in approvers)
            refund.pending_since = None
            refund.last_rule = rule
        case e.RefundRejected(actor=actor, rule=rule):
            refund.status = S.REJECTED
            refund.deciders.add(Actor.parse(actor).person)
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
        case e.DisputeOpened(previous_status=previous):
            refund.status = S.DISPUTED
            refund.status_before_dispute = previous
        case e.DisputeResolved(outcome="upheld", previous_status=previous, actor=actor):
            refund.last_rule = payload.rule
            refund.status = previous
            refund.status_before_dispute = ""
            refund.deciders.add(Actor.parse(actor).person)
        case e.DisputeResolved(amount=amount, actor=actor):
            refund.last_rule = payload.rule
            refund.status = S.APPROVED
            refund.deciders.add(Actor.parse(actor).person)
            refund.approved_amount = amount
            refund.status_before_dispute = ""
        case _:
            pass  # notes and the like change nothing but the version
