"""Money leaving the company: payouts, their retries, and disputes about decisions."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from ledger.domain import events as e
from ledger.domain import refund_events as ev
from ledger.domain.actor import Actor
from ledger.domain.errors import InvalidDecision, RefundError, SeparationOfDuties
from ledger.domain.guards import require_own_customer, require_role, require_status
from ledger.domain.policy import Policy
from ledger.domain.refund_state import RefundState
from ledger.domain.vocabulary import Status as S

OUTCOMES = ("upheld", "overturned")


class PaymentVerbs(RefundState):
    def start_payout(self, actor: Actor, method: str | None, policy: Policy, at: datetime) -> None:
        """Pay what is approved and not yet paid; on a failed payout this is the retry."""
        require_role(actor, "payout", policy)
        require_status(self.status, "start a payout for", S.APPROVED, S.PAYOUT_FAILED)
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
        if not reference.strip():
            raise InvalidDecision("a settled payout needs the provider's --reference")
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
        """Uphold the decision, or overturn it with a new approved amount."""
        require_role(actor, "dispute_resolve", policy)
        require_status(self.status, "resolve a dispute on", S.DISPUTED)
        if actor.person in self.deciders:
            raise SeparationOfDuties(
                f"{actor} took part in the decision under dispute; somebody else must resolve it"
            )
        if outcome not in OUTCOMES:
            raise InvalidDecision(f"unknown dispute outcome {outcome!r}; use upheld or overturned")
        if outcome == "upheld" and amount is not None:
            raise InvalidDecision("an upheld decision keeps its amount; leave out --amount")
        if outcome == "overturned":
            amount = self._overturn_amount(amount)
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

    def _overturn_amount(self, amount: Decimal | None) -> Decimal:
        if amount is None:
            raise InvalidDecision("an overturned decision needs the new approved --amount")
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
