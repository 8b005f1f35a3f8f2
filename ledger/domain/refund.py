"""The Refund aggregate: the whole lifecycle of one refund as a sequence of events."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from ledger.domain import events as e
from ledger.domain.actor import SYSTEM_POLICY, Actor
from ledger.domain.errors import (
    AuthorityExceeded,
    InvalidDecision,
    RefundError,
    SeparationOfDuties,
)
from ledger.domain.guards import require_own_customer, require_role, require_status
from ledger.domain.policy import Policy
from ledger.domain.refund_apply import apply_payload
from ledger.domain.verification import Outcome
from ledger.domain.vocabulary import Status

S = Status


class Refund(Aggregate):
    """One refund, from request to payout and dispute."""

    class Requested(Aggregate.Created):
        payload: e.RefundRequested

    class Event(Aggregate.Event):
        payload: Any

        def apply(self, aggregate: Any) -> None:
            aggregate.when(self.payload, self.timestamp)

    class Flagged(Event):
        payload: e.FraudFlagged

    class Verified(Event):
        payload: e.RefundVerified

    class RoutedForApproval(Event):
        payload: e.RoutedForApproval

    class ApprovalRecorded(Event):
        payload: e.ApprovalRecorded

    class Approved(Event):
        payload: e.RefundApproved

    class Rejected(Event):
        payload: e.RefundRejected

    class Escalated(Event):
        payload: e.RefundEscalated

    class SlaBreached(Event):
        payload: e.SlaBreached

    class Cancelled(Event):
        payload: e.RefundCancelled

    class PayoutStarted(Event):
        payload: e.PayoutStarted

    class PayoutSettled(Event):
        payload: e.PayoutSettled

    class PayoutFailed(Event):
        payload: e.PayoutFailed

    class DisputeOpened(Event):
        payload: e.DisputeOpened

    class DisputeResolved(Event):
        payload: e.DisputeResolved

    class NoteAdded(Event):
        payload: e.NoteAdded

    def __init__(self, payload: e.RefundRequested) -> None:
        self.request = payload
        self.status = S.REQUESTED
        self.flags: list[str] = []
        self.findings: tuple[e.Finding, ...] = ()
        self.verified = False
        self.tier = ""
        self.approvals_required = 1
        self.approvals: list[e.ApprovalRecorded] = []
        self.approved_amount: Decimal | None = None
        self.paid_amount: Decimal | None = None
        self.payout_attempt = 0
        self.payout_amount: Decimal | None = None
        self.deciders: set[str] = set()
        self.pending_since: datetime | None = None
        self.breach_recorded_since: datetime | None = None
        self.status_before_dispute = ""
        self.last_rule = ""

    # --- creation ---

    @classmethod
    def open(cls, refund_id: UUID, payload: e.RefundRequested, at: datetime) -> Refund:
        return cls._create(cls.Requested, id=refund_id, payload=payload, timestamp=at)

    @property
    def requester(self) -> Actor:
        return Actor.parse(self.request.actor)

    @property
    def currency(self) -> str:
        return self.request.currency

    @property
    def requested_amount(self) -> Decimal:
        return self.request.amount

    def reserved_amount(self) -> Decimal:
        """What this refund holds of its order's refundable balance."""
        status = self.status_before_dispute if self.status == S.DISPUTED else self.status
        if status in (S.REJECTED, S.CANCELLED):
            return Decimal(0)
        return self.approved_amount if self.approved_amount is not None else self.request.amount

    # --- verbs ---

    def flag(self, rule: str, detail: str, policy: Policy, at: datetime) -> None:
        """Record a fraud flag raised by the policy."""
        self._trigger(
            self.Flagged,
            e.FraudFlagged(
                actor=str(SYSTEM_POLICY), policy_version=policy.version, rule=rule, detail=detail
            ),
            at,
        )

    def verify(self, actor: Actor, outcome: Outcome, policy: Policy, at: datetime) -> None:
        """Record the verification findings, then decide what happens next."""
        require_role(actor, "verify", policy)
        require_status(self.status, "verify", S.REQUESTED)
        if self.verified:
            raise RefundError(f"refund {self.id} was already verified")
        failed = outcome.first_failure()
        self._trigger(
            self.Verified,
            e.RefundVerified(
                actor=str(actor),
                policy_version=policy.version,
                rule=f"verification.{failed.check}" if failed else "verification.passed",
                passed=failed is None,
                condition=outcome.condition,
                findings=outcome.findings,
            ),
            at,
        )
        if failed is not None:
            self._reject(SYSTEM_POLICY, failed.detail, f"verification.{failed.check}", policy, at)
        else:
            self._route(policy, at)

    def _route(self, policy: Policy, at: datetime) -> None:
        amount = self.request.amount
        rule = self._auto_approval_blocker(policy)
        if rule is None:
            self._trigger(
                self.Approved,
                e.RefundApproved(
                    actor=str(SYSTEM_POLICY),
                    policy_version=policy.version,
                    rule="auto_approval",
                    amount=self._default_approval_amount(policy),
                    approvers=(str(SYSTEM_POLICY),),
                ),
                at,
            )
            return
        self._trigger(
            self.RoutedForApproval,
            e.RoutedForApproval(
                actor=str(SYSTEM_POLICY),
                policy_version=policy.version,
                rule=rule,
                tier=policy.tier_name(policy.initial_tier(amount)),
                approvals_required=policy.approvals_required(amount),
            ),
            at,
        )

    def _auto_approval_blocker(self, policy: Policy) -> str | None:
        """The rule that stops automatic approval, or None when the policy approves."""
        rules = policy.auto_approval
        if self.flags:
            return "auto_approval.flagged"
        if self.request.reason in rules.excluded_reasons:
            return "auto_approval.excluded_reason"
        if self.request.amount > rules.max_amount:
            return "auto_approval.max_amount"
        return None

    def _default_approval_amount(self, policy: Policy) -> Decimal:
        fee = policy.restocking_fee(self.request.reason, self.request.amount, self.currency)
        return self.request.amount - fee

    def approve(
        self, actor: Actor, amount: Decimal | None, note: str | None, policy: Policy, at: datetime
    ) -> None:
        """A manual approval; above the dual-control threshold it takes two people."""
        require_role(actor, "approve", policy)
        require_status(self.status, "approve", S.PENDING_APPROVAL)
        self._require_not_requester(actor, "approve")
        self._require_authority(actor, policy)
        amount = self._approval_amount(amount, policy)
        if self.approvals_required == 2 and not self.approvals:
            self._trigger(
                self.ApprovalRecorded,
                e.ApprovalRecorded(
                    actor=str(actor),
                    policy_version=policy.version,
                    rule="approval.dual_control",
                    amount=amount,
                    note=note,
                    approvals_required=2,
                ),
                at,
            )
            return
        approvers = tuple(a.actor for a in self.approvals) + (str(actor),)
        self._trigger(
            self.Approved,
            e.RefundApproved(
                actor=str(actor),
                policy_version=policy.version,
                rule="approval.dual_control" if len(approvers) == 2 else "approval.manual",
                amount=amount,
                note=note,
                approvers=approvers,
            ),
            at,
        )

    def _require_not_requester(self, actor: Actor, action: str) -> None:
        if actor.person == self.requester.person:
            raise SeparationOfDuties(
                f"{actor} requested this refund (as {self.requester}); "
                f"somebody else must {action} it"
            )

    def _require_authority(self, actor: Actor, policy: Policy) -> None:
        amount = self.request.amount
        if actor.role not in policy.roles_at_or_above(policy.approval.tiers.index(self.tier)):
            raise AuthorityExceeded(
                f"refund {self.id} waits at the {self.tier} tier; {actor.role} may not approve it"
            )
        if not policy.may_approve_amount(actor.role, amount):
            limit = policy.limit_of(actor.role)
            raise AuthorityExceeded(
                f"{actor.role} may approve up to {limit} {self.currency} alone; "
                f"this refund asks {amount} {self.currency}"
                if amount <= policy.approval.two_approvers_above
                else f"refunds above {policy.approval.two_approvers_above} {self.currency} need "
                f"two {policy.approval.two_approvers_role} approvals; {actor} is {actor.role}"
            )
        for earlier in self.approvals:
            if Actor.parse(earlier.actor).person == actor.person:
                raise SeparationOfDuties(
                    f"{actor} already gave the first approval ({earlier.actor}); "
                    "the second must come from a different person"
                )

    def _approval_amount(self, amount: Decimal | None, policy: Policy) -> Decimal:
        if self.approvals:
            first = self.approvals[0].amount
            if amount is not None and amount != first:
                raise InvalidDecision(
                    f"the first approval was for {first} {self.currency}; "
                    "the second approval must be for the same amount"
                )
            return first
        if amount is None:
            return self._default_approval_amount(policy)
        if amount <= 0:
            raise InvalidDecision(
                f"cannot approve {amount} {self.currency}: the amount must be greater than zero"
            )
        if amount > self.request.amount:
            raise InvalidDecision(
                f"cannot approve {amount} {self.currency}: the request is for "
                f"{self.request.amount} {self.currency}"
            )
        return amount

    def reject(self, actor: Actor, reason: str, policy: Policy, at: datetime) -> None:
        require_role(actor, "reject", policy)
        require_status(self.status, "reject", S.REQUESTED, S.PENDING_APPROVAL)
        self._require_not_requester(actor, "reject")
        self._reject(actor, reason, "rejection.manual", policy, at)

    def _reject(self, actor: Actor, reason: str, rule: str, policy: Policy, at: datetime) -> None:
        self._trigger(
            self.Rejected,
            e.RefundRejected(
                actor=str(actor), policy_version=policy.version, rule=rule, reason=reason
            ),
            at,
        )

    def escalate(
        self,
        actor: Actor,
        reason: str,
        policy: Policy,
        at: datetime,
        rule: str = "escalation.manual",
    ) -> None:
        """Move a pending request to the next approval tier."""
        require_role(actor, "escalate", policy)
        require_status(self.status, "escalate", S.PENDING_APPROVAL)
        tiers = policy.approval.tiers
        index = tiers.index(self.tier)
        if not self._can_escalate(policy):
            raise RefundError(f"refund {self.id} is already at the highest tier ({self.tier})")
        self._trigger(
            self.Escalated,
            e.RefundEscalated(
                actor=str(actor),
                policy_version=policy.version,
                rule=rule,
                reason=reason,
                from_tier=self.tier,
                to_tier=tiers[index + 1],
            ),
            at,
        )

    def sla_action_due(self, policy: Policy, now: datetime) -> bool:
        """Whether the SLA sweep has something to record for this refund at `now`."""
        if self.status != S.PENDING_APPROVAL or self.pending_since is None:
            return False
        if now < self.pending_since + timedelta(hours=policy.sla.pending_approval_hours):
            return False
        return self._can_escalate(policy) or self.breach_recorded_since != self.pending_since

    def sweep_sla(self, policy: Policy, now: datetime) -> None:
        """Escalate an overdue request; at the top tier record the breach (once)."""
        if not self.sla_action_due(policy, now):
            return
        hours = policy.sla.pending_approval_hours
        reason = f"waited more than {hours} hours for approval"
        if self._can_escalate(policy):
            self.escalate(SYSTEM_POLICY, reason, policy, now, rule="sla.pending_approval_hours")
            return
        self._trigger(
            self.SlaBreached,
            e.SlaBreached(
                actor=str(SYSTEM_POLICY),
                policy_version=policy.version,
                rule="sla.pending_approval_hours",
                tier=self.tier,
                pending_since=str(self.pending_since),
            ),
            now,
        )

    def _can_escalate(self, policy: Policy) -> bool:
        return policy.approval.tiers.index(self.tier) + 1 < len(policy.approval.tiers)

    def cancel(self, actor: Actor, reason: str, policy: Policy, at: datetime) -> None:
        require_role(actor, "cancel", policy)
        require_own_customer(actor, self.request.customer_id, "cancel")
        require_status(self.status, "cancel", S.REQUESTED, S.PENDING_APPROVAL, S.APPROVED)
        if self.paid_amount:
            raise RefundError(f"refund {self.id} has payouts already; it cannot be cancelled")
        self._trigger(self.Cancelled, e.RefundCancelled(actor=str(actor), reason=reason), at)

    def add_note(self, actor: Actor, text: str, policy: Policy, at: datetime) -> None:
        require_role(actor, "note", policy)
        require_own_customer(actor, self.request.customer_id, "note")
        self._trigger(self.NoteAdded, e.NoteAdded(actor=str(actor), text=text), at)

    # --- payouts ---

    def start_payout(self, actor: Actor, method: str | None, policy: Policy, at: datetime) -> None:
        """Pay what is approved and not yet paid; on a failed payout this is the retry."""
        require_role(actor, "payout", policy)
        require_status(self.status, "start a payout for", S.APPROVED, S.PAYOUT_FAILED)
        amount = (self.approved_amount or Decimal(0)) - (self.paid_amount or Decimal(0))
        if amount <= 0:
            raise RefundError(f"refund {self.id} has nothing left to pay out")
        self._trigger(
            self.PayoutStarted,
            e.PayoutStarted(
                actor=str(actor),
                attempt=self.payout_attempt + 1,
                method=method or self.request.method,
                amount=amount,
            ),
            at,
        )

    def settle_payout(self, actor: Actor, reference: str, policy: Policy, at: datetime) -> None:
        require_role(actor, "payout", policy)
        require_status(self.status, "settle a payout for", S.PAYOUT_PENDING)
        if not reference.strip():
            raise InvalidDecision("a settled payout needs the provider's --reference")
        self._trigger(
            self.PayoutSettled,
            e.PayoutSettled(
                actor=str(actor),
                attempt=self.payout_attempt,
                reference=reference.strip(),
                amount=self.payout_amount or Decimal(0),
            ),
            at,
        )

    def fail_payout(
        self, actor: Actor, reason: str, reference: str | None, policy: Policy, at: datetime
    ) -> None:
        require_role(actor, "payout", policy)
        require_status(self.status, "fail a payout for", S.PAYOUT_PENDING)
        self._trigger(
            self.PayoutFailed,
            e.PayoutFailed(
                actor=str(actor), attempt=self.payout_attempt, reason=reason, reference=reference
            ),
            at,
        )

    # --- disputes ---

    def open_dispute(self, actor: Actor, reason: str, policy: Policy, at: datetime) -> None:
        require_role(actor, "dispute_open", policy)
        require_own_customer(actor, self.request.customer_id, "dispute_open")
        require_status(self.status, "dispute", S.REJECTED, S.APPROVED, S.PAID)
        self._trigger(
            self.DisputeOpened,
            e.DisputeOpened(actor=str(actor), reason=reason, previous_status=self.status),
            at,
        )

    def resolve_dispute(
        self,
        actor: Actor,
        outcome: str,
        amount: Decimal | None,
        rationale: str,
        policy: Policy,
        at: datetime,
    ) -> None:
        """Uphold the decision, or overturn it with a new approved amount."""
        require_role(actor, "dispute_resolve", policy)
        require_status(self.status, "resolve a dispute on", S.DISPUTED)
        if actor.person in self.deciders:
            raise SeparationOfDuties(
                f"{actor} took part in the decision under dispute; somebody else must resolve it"
            )
        if outcome not in ("upheld", "overturned"):
            raise InvalidDecision(f"unknown dispute outcome {outcome!r}; use upheld or overturned")
        if outcome == "upheld" and amount is not None:
            raise InvalidDecision("an upheld decision keeps its amount; leave out --amount")
        if outcome == "overturned":
            self._check_overturn_amount(amount)
        self._trigger(
            self.DisputeResolved,
            e.DisputeResolved(
                actor=str(actor),
                policy_version=policy.version,
                rule=f"dispute.{outcome}",
                outcome=outcome,
                rationale=rationale,
                amount=amount if outcome == "overturned" else None,
                previous_status=self.status_before_dispute,
            ),
            at,
        )

    def _check_overturn_amount(self, amount: Decimal | None) -> None:
        before = self.approved_amount if self.status_before_dispute != S.REJECTED else None
        floor = before or Decimal(0)
        if amount is None:
            raise InvalidDecision("an overturned decision needs the new approved --amount")
        if amount <= floor:
            raise InvalidDecision(
                f"the new amount must be above the {floor} {self.currency} decided before"
            )
        if amount > self.request.amount:
            raise InvalidDecision(
                f"the new amount cannot exceed the {self.request.amount} {self.currency} requested"
            )

    # --- recording and applying events ---

    def _trigger(self, event_class: type[Event], payload: e.Payload, at: datetime) -> None:
        self.trigger_event(event_class, payload=payload, timestamp=at)

    def when(self, payload: e.Payload, at: datetime) -> None:
        """Apply one event's payload to the state. Runs on every replay: no decisions here."""
        apply_payload(self, payload, at)
