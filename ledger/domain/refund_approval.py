"""Manual decisions on a refund: approval (with dual control), rejection, escalation, SLA."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from ledger.domain import payloads as e
from ledger.domain import refund_events as ev
from ledger.domain.actor import SYSTEM_POLICY, Actor
from ledger.domain.errors import AuthorityExceeded, InvalidDecision, RefundError
from ledger.domain.guards import require_role, require_status
from ledger.domain.policy import Policy
from ledger.domain.refund_separation import SeparationChecks
from ledger.domain.vocabulary import Status as S


class ApprovalVerbs(SeparationChecks):
    def approve(
        self, actor: Actor, amount: Decimal | None, note: str | None, policy: Policy, at: datetime
    ) -> None:
        """A manual approval; above the dual-control threshold it takes two people. An
        overturn waiting for approval is approved for its own amount, by newcomers only."""
        require_role(actor, "approve", policy)
        require_status(self.status, "approve", S.PENDING_APPROVAL)
        self._require_not_requester(actor, "approve")
        self._require_tier(actor, "approve", policy)
        self._require_authority(actor, policy)
        self._require_second_person(actor)
        self._require_outsider_to_overturn(actor, "approve", policy)
        amount = self._approval_amount(amount, policy)
        if self.approvals_required == 2 and not self.approvals:
            payload: e.Payload = e.ApprovalRecorded(
                actor=str(actor),
                policy_version=policy.version,
                rule="approval.dual_control",
                amount=amount,
                note=note,
                approvals_required=2,
            )
            self._trigger(ev.ApprovalRecorded, payload, at)
            return
        approvers = tuple(a.actor for a in self.approvals) + (str(actor),)
        payload = e.RefundApproved(
            actor=str(actor),
            policy_version=policy.version,
            rule="approval.dual_control" if len(approvers) == 2 else "approval.manual",
            amount=amount,
            note=note,
            approvers=approvers,
        )
        self._trigger(ev.Approved, payload, at)

    def _current_tier(self, policy: Policy) -> int:
        if self.tier:
            return policy.approval.tiers.index(self.tier)
        return policy.initial_tier(self.request.amount)

    def _require_tier(self, actor: Actor, action: str, policy: Policy) -> None:
        tier = self._current_tier(policy)
        if actor.role not in policy.roles_at_or_above(tier):
            raise AuthorityExceeded(
                f"refund {self.id} waits at the {policy.tier_name(tier)} tier; "
                f"{actor.role} may not {action} it"
            )

    def _amount_at_stake(self) -> Decimal:
        """What an approval decides: the overturn waiting for approval, or the request."""
        return self.request.amount if self.overturn_amount is None else self.overturn_amount

    def _require_authority(self, actor: Actor, policy: Policy) -> None:
        amount, rules = self._amount_at_stake(), policy.approval
        if not policy.may_approve_amount(actor.role, amount):
            if amount > rules.two_approvers_above:
                raise AuthorityExceeded(
                    f"refunds above {rules.two_approvers_above} {self.currency} need two "
                    f"{rules.two_approvers_role} approvals; {actor} is {actor.role}"
                )
            limit = policy.limit_of(actor.role)
            raise AuthorityExceeded(
                f"{actor.role} may approve up to {limit} {self.currency} alone; "
                f"this refund asks {amount} {self.currency}"
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
        if self.overturn_amount is not None:
            return self._overturn_to_approve(self.overturn_amount, amount)
        if amount is None:
            return self._default_approval_amount(policy)
        amount = self._exact(amount, "approve")
        if amount > self.request.amount:
            raise InvalidDecision(
                f"cannot approve {amount} {self.currency}: the request is for "
                f"{self.request.amount} {self.currency}"
            )
        return amount

    def _overturn_to_approve(self, wanted: Decimal, amount: Decimal | None) -> Decimal:
        """An approver approves the overturn as the resolver decided it, or rejects it."""
        if amount is not None and amount != wanted:
            raise InvalidDecision.about(
                "amount",
                f"the overturn waiting for approval is for {wanted} {self.currency}; "
                "approve it as it is (leave out {field}) or reject it",
            )
        return wanted

    def reject(self, actor: Actor, reason: str, policy: Policy, at: datetime) -> None:
        """Reject within your authority: the same tier rules as approval. Rejecting an
        overturn that waits for approval restores the decision that stood before the dispute."""
        require_role(actor, "reject", policy)
        require_status(self.status, "reject", S.REQUESTED, S.PENDING_APPROVAL)
        self._require_not_requester(actor, "reject")
        self._require_tier(actor, "reject", policy)
        if self.overturn_amount is None:
            self._reject(actor, reason, "rejection.manual", policy, at)
        else:
            self._require_outsider_to_overturn(actor, "reject", policy)
            payload = e.OverturnRejected(
                actor=str(actor),
                policy_version=policy.version,
                rule="rejection.overturn",
                reason=reason,
                amount=self.overturn_amount,
                restored_status=self.status_before_dispute,
            )
            self._trigger(ev.OverturnRejected, payload, at)

    def _reject(self, actor: Actor, reason: str, rule: str, policy: Policy, at: datetime) -> None:
        payload = e.RefundRejected(
            actor=str(actor), policy_version=policy.version, rule=rule, reason=reason
        )
        self._trigger(ev.Rejected, payload, at)

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
        if not self._can_escalate(policy):
            raise RefundError(f"refund {self.id} is already at the highest tier ({self.tier})")
        payload = e.RefundEscalated(
            actor=str(actor),
            policy_version=policy.version,
            rule=rule,
            reason=reason,
            from_tier=self.tier,
            to_tier=policy.tier_name(self._current_tier(policy) + 1),
        )
        self._trigger(ev.Escalated, payload, at)

    def _can_escalate(self, policy: Policy) -> bool:
        return self._current_tier(policy) + 1 < len(policy.approval.tiers)

    def sla_action_due(self, policy: Policy, now: datetime) -> bool:
        """Whether the request has waited longer than the SLA and that is not yet recorded."""
        if self.status != S.PENDING_APPROVAL or self.pending_since is None:
            return False
        if now <= self.pending_since + timedelta(hours=policy.sla.pending_approval_hours):
            return False
        return self._can_escalate(policy) or self.breach_recorded_since != self.pending_since

    def sweep_sla(self, policy: Policy, now: datetime, at: datetime | None = None) -> None:
        """Escalate a request overdue at `now`; at the top tier record the breach (once).

        `at` is when the sweep records it (default: `now`). A sweep run for another moment
        (`ledger sla sweep --now`) still stamps its events with the real time and says which
        moment it judged, so the audit trail never holds events dated in the future.
        """
        if not self.sla_action_due(policy, now):
            return
        recorded = at or now
        hours = policy.sla.pending_approval_hours
        if self._can_escalate(policy):
            reason = f"waited more than {hours} hours for approval (as of {now.isoformat()})"
            rule = "sla.pending_approval_hours"
            self.escalate(SYSTEM_POLICY, reason, policy, recorded, rule=rule)
            return
        payload = e.SlaBreached(
            actor=str(SYSTEM_POLICY),
            policy_version=policy.version,
            rule="sla.pending_approval_hours",
            tier=self.tier,
            pending_since=str(self.pending_since),
            as_of=now.isoformat(),
        )
        self._trigger(ev.SlaBreached, payload, recorded)
