"""Money leaving the company: payouts, their retries, and disputes about decisions."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from ledger.domain import payloads as e
from ledger.domain import refund_events as ev
from ledger.domain.actor import Actor
from ledger.domain.errors import InvalidDecision, RefundError
from ledger.domain.guards import require_own_customer, require_role, require_status
from ledger.domain.policy import Policy
from ledger.domain.refund_separation import SeparationChecks
from ledger.domain.vocabulary import Status as S

OUTCOMES = ("upheld", "overturned")


class PaymentVerbs(SeparationChecks):
    def start_payout(self, actor: Actor, method: str | None, policy: Policy, at: datetime) -> None:
        """Pay what is approved and not yet paid; on a failed payout this is the retry."""
        require_role(actor, "payout", policy)
        require_status(self.status, "start a payout for", S.APPROVED, S.PAYOUT_FAILED)
        self._require_not_approver(actor, "start", policy)
        amount = (self.approved_amount or Decimal(0)) - (self.paid_amount or Decimal(0))
        if amount <= 0:
            raise RefundError(f"refund {self.id} has nothing left to pay out")
        payload = e.PayoutStarted(
            actor=str(actor),
            attempt=self.payout_attempt + 1,
            method=method or self.request.method,
            amount=amount,
        )
        self._trigger(ev.PayoutStarted, payload, at)

    def settle_payout(self, actor: Actor, reference: str, policy: Policy, at: datetime) -> None:
        require_role(actor, "payout", policy)
        require_status(self.status, "settle a payout for", S.PAYOUT_PENDING)
        self._require_not_approver(actor, "settle", policy)
        if not reference.strip():
            raise InvalidDecision.about(
                "reference", "a settled payout needs the provider's {field}"
            )
        payload = e.PayoutSettled(
            actor=str(actor),
            attempt=self.payout_attempt,
            reference=reference.strip(),
            amount=self.payout_amount or Decimal(0),
        )
        self._trigger(ev.PayoutSettled, payload, at)

    def fail_payout(
        self, actor: Actor, reason: str, reference: str | None, policy: Policy, at: datetime
    ) -> None:
        require_role(actor, "payout", policy)
        require_status(self.status, "fail a payout for", S.PAYOUT_PENDING)
        payload = e.PayoutFailed(
            actor=str(actor), attempt=self.payout_attempt, reason=reason, reference=reference
        )
        self._trigger(ev.PayoutFailed, payload, at)

    def open_dispute(self, actor: Actor, reason: str, policy: Policy, at: datetime) -> None:
        require_role(actor, "dispute_open", policy)
        require_own_customer(actor, self.request.customer_id, "dispute_open")
        require_status(self.status, "dispute", S.REJECTED, S.APPROVED, S.PAID)
        payload = e.DisputeOpened(actor=str(actor), reason=reason, previous_status=self.status)
        self._trigger(ev.DisputeOpened, payload, at)

    def resolve_dispute(
        self,
        actor: Actor,
        outcome: str,
        amount: Decimal | None,
        rationale: str,
        policy: Policy,
        at: datetime,
    ) -> None:
        """Uphold the decision, or overturn it with a new approved amount. An overturn is an
        approval: beyond what the resolver may approve alone it waits for approvers."""
        require_role(actor, "dispute_resolve", policy)
        require_status(self.status, "resolve a dispute on", S.DISPUTED)
        self._require_impartial_resolver(actor, policy)
        if outcome not in OUTCOMES:
            raise InvalidDecision(f"unknown dispute outcome {outcome!r}; use upheld or overturned")
        if outcome == "upheld" and amount is not None:
            raise InvalidDecision.about(
                "amount", "an upheld decision keeps its amount; leave out {field}"
            )
        if outcome == "overturned":
            self._overturn(actor, self._overturn_amount(amount), rationale, policy, at)
        else:
            self._resolved(actor, outcome, None, rationale, policy, at)

    def _overturn(
        self, actor: Actor, amount: Decimal, rationale: str, policy: Policy, at: datetime
    ) -> None:
        held_by = self._overturn_blocker(actor, amount, policy)
        if held_by is None:
            self._resolved(actor, "overturned", amount, rationale, policy, at)
        else:
            self._route_overturn(actor, amount, rationale, held_by, policy, at)

    def _resolved(
        self,
        actor: Actor,
        outcome: str,
        amount: Decimal | None,
        rationale: str,
        policy: Policy,
        at: datetime,
    ) -> None:
        payload = e.DisputeResolved(
            actor=str(actor),
            policy_version=policy.version,
            rule=f"dispute.{outcome}",
            outcome=outcome,
            rationale=rationale,
            amount=amount,
            previous_status=self.status_before_dispute,
        )
        self._trigger(ev.DisputeResolved, payload, at)

    def _overturn_blocker(self, actor: Actor, amount: Decimal, policy: Policy) -> str | None:
        """The rule that keeps `actor` from approving `amount` alone, or None."""
        if not policy.separation.resolver_approves_alone:
            return None
        limit = policy.limit_of(actor.role)
        if limit is None or amount > limit:
            return f"approval.limits.{actor.role}"
        if not policy.may_approve_amount(actor.role, amount):
            return "approval.two_approvers_above"
        if policy.approvals_required(amount) > 1:
            return "approval.dual_control"
        return None

    def _route_overturn(
        self, actor: Actor, amount: Decimal, rationale: str, rule: str, policy: Policy, at: datetime
    ) -> None:
        """The overturn waits at the tier its amount needs, like any request of that amount."""
        payload = e.OverturnRouted(
            actor=str(actor),
            policy_version=policy.version,
            rule=rule,
            rationale=rationale,
            amount=amount,
            tier=policy.tier_name(policy.initial_tier(amount)),
            approvals_required=policy.approvals_required(amount),
            previous_status=self.status_before_dispute,
        )
        self._trigger(ev.OverturnRouted, payload, at)

    def _overturn_amount(self, amount: Decimal | None) -> Decimal:
        if amount is None:
            raise InvalidDecision.about(
                "amount", "an overturned decision needs the new approved {field}"
            )
        amount = self._exact(amount, "approve")
        before = self.approved_amount if self.status_before_dispute != S.REJECTED else None
        floor = before or Decimal(0)
        if amount <= floor:
            raise InvalidDecision(
                f"the new amount must be above the {floor} {self.currency} decided before"
            )
        if amount > self.request.amount:
            raise InvalidDecision(
                f"the new amount cannot exceed the {self.request.amount} {self.currency} requested"
            )
        return amount
