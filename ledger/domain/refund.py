"""The Refund aggregate: the whole lifecycle of one refund as a sequence of events.

Verbs check the rules and record events; `refund_apply` changes the state. The verbs live in
themed modules: approval and escalation (`refund_approval`), payouts and disputes
(`refund_payment`); this one holds the request, verification, cancellation and notes.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from eventsourcing.domain import Aggregate

from ledger.domain import payloads as e
from ledger.domain import refund_events as ev
from ledger.domain.actor import SYSTEM_POLICY, Actor
from ledger.domain.chain import GENESIS
from ledger.domain.errors import InvalidInput, RefundError, RoleNotAllowed
from ledger.domain.guards import require_own_customer, require_role, require_status
from ledger.domain.policy import Policy
from ledger.domain.refund_approval import ApprovalVerbs
from ledger.domain.refund_payment import PaymentVerbs
from ledger.domain.refund_separation import REQUESTER_VERIFIES
from ledger.domain.verification import Outcome
from ledger.domain.vocabulary import Status as S


class Refund(ApprovalVerbs, PaymentVerbs, Aggregate):
    """One refund, from request to payout and dispute."""

    def __init__(self, payload: e.RefundRequested) -> None:
        self.request = payload
        self.status = S.REQUESTED
        self.flags = []
        self.findings = ()
        self.verified = False
        self.tier = ""
        self.approvals_required = 1
        self.approvals = []
        self.approved_amount = None
        self.paid_amount = None
        self.payout_attempt = 0
        self.payout_amount = None
        self.deciders = set()
        self.pending_since = None
        self.breach_recorded_since = None
        self.status_before_dispute = ""
        self.last_rule = ""

    @classmethod
    def open(
        cls, refund_id: UUID, actor: Actor, payload: e.RefundRequested, policy: Policy, at: datetime
    ) -> Refund:
        """Record a request by `actor` (who must be allowed to request for this customer)."""
        cls.check_requester(actor, payload.customer_id, policy)
        if payload.actor != str(actor):
            raise RefundError(f"the request names {payload.actor} but {actor} is acting")
        return cls._create(
            ev.Requested, id=refund_id, payload=payload, timestamp=at, prev_hash=GENESIS
        )

    @staticmethod
    def check_requester(actor: Actor, customer_id: str, policy: Policy) -> None:
        """Whether `actor` may request a refund for `customer_id` (asked before anything about
        the order is looked at, so that a refusal tells nothing about it)."""
        require_role(actor, "request", policy)
        require_own_customer(actor, customer_id, "request")

    def flag(self, rule: str, detail: str, policy: Policy, at: datetime) -> None:
        """Record a fraud flag raised by the policy."""
        payload = e.FraudFlagged(
            actor=str(SYSTEM_POLICY), policy_version=policy.version, rule=rule, detail=detail
        )
        self._trigger(ev.Flagged, payload, at)

    def verify(self, actor: Actor, outcome: Outcome, policy: Policy, at: datetime) -> None:
        """Record the verification findings, then decide what happens next."""
        require_role(actor, "verify", policy)
        require_status(self.status, "verify", S.REQUESTED)
        if policy.separation.requester_verifies:
            self._require_not_requester(actor, "verify", REQUESTER_VERIFIES)
        failed = outcome.first_failure()
        payload = e.RefundVerified(
            actor=str(actor),
            policy_version=policy.version,
            rule=f"verification.{failed.check}" if failed else "verification.passed",
            passed=failed is None,
            condition=outcome.condition,
            findings=outcome.findings,
        )
        self._trigger(ev.Verified, payload, at)
        if failed is not None:
            self._reject(SYSTEM_POLICY, failed.detail, f"verification.{failed.check}", policy, at)
        else:
            self._route(policy, at)

    def _route(self, policy: Policy, at: datetime) -> None:
        """Approve automatically when the policy allows; otherwise wait for a person."""
        blocker = self._auto_approval_blocker(policy)
        if blocker is None:
            approved = e.RefundApproved(
                actor=str(SYSTEM_POLICY),
                policy_version=policy.version,
                rule="auto_approval",
                amount=self._default_approval_amount(policy),
                approvers=(str(SYSTEM_POLICY),),
            )
            self._trigger(ev.Approved, approved, at)
            return
        amount = self.request.amount
        routed = e.RoutedForApproval(
            actor=str(SYSTEM_POLICY),
            policy_version=policy.version,
            rule=blocker,
            tier=policy.tier_name(policy.initial_tier(amount)),
            approvals_required=policy.approvals_required(amount),
        )
        self._trigger(ev.RoutedForApproval, routed, at)

    def _auto_approval_blocker(self, policy: Policy) -> str | None:
        """The rule that stops automatic approval, or None when the policy approves."""
        rules = policy.auto_approval
        if self.flags:
            return "auto_approval.flagged"
        if self.request.reason in rules.excluded_reasons:
            return "auto_approval.excluded_reason"
        if self.request.amount > rules.max_amount:
            return "auto_approval.max_amount"
        if self.request.purchased_on is None and policy.goods_come_back(self.request.reason):
            return "auto_approval.purchase_date_unknown"
        return None

    def cancel(self, actor: Actor, reason: str, policy: Policy, at: datetime) -> None:
        require_role(actor, "cancel", policy)
        require_own_customer(actor, self.request.customer_id, "cancel")
        require_status(self.status, "cancel", S.REQUESTED, S.PENDING_APPROVAL, S.APPROVED)
        if self.paid_amount:
            raise RefundError(f"refund {self.id} has payouts already; it cannot be cancelled")
        self._trigger(ev.Cancelled, e.RefundCancelled(actor=str(actor), reason=reason), at)

    def add_note(
        self,
        actor: Actor,
        text: str,
        policy: Policy,
        at: datetime,
        visibility: e.NoteVisibility | None = None,
    ) -> None:
        """Record a note, `internal` (staff only) or `customer` (shown to the customer too)."""
        require_role(actor, "note", policy)
        require_own_customer(actor, self.request.customer_id, "note")
        if _note_visibility(actor, visibility, policy) == "customer":
            note = e.CustomerNoteAdded(actor=str(actor), text=text)
            self._trigger(ev.CustomerNoteAdded, note, at)
        else:
            self._trigger(ev.NoteAdded, e.NoteAdded(actor=str(actor), text=text), at)


def _note_visibility(actor: Actor, asked: str | None, policy: Policy) -> str:
    """Staff notes are internal unless marked for the customer. A customer's own note is
    always the customer's to see: `customer` by default, and `internal` is refused."""
    if asked is not None and asked not in e.NOTE_VISIBILITIES:
        choices = " or ".join(e.NOTE_VISIBILITIES)
        raise InvalidInput(f"invalid note visibility {asked!r}: use {choices}")
    if actor.role != "customer":
        return asked or "internal"
    if asked == "internal":
        staff = tuple(role for role in policy.roles_for("note") if role != "customer")
        raise RoleNotAllowed(str(actor), "add an internal note", staff)
    return "customer"
