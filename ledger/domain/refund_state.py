"""The state of a refund and the helpers its verbs share."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from uuid import UUID

from ledger.domain import events as e
from ledger.domain.actor import Actor
from ledger.domain.chain import event_hash
from ledger.domain.errors import InvalidDecision, SeparationOfDuties
from ledger.domain.money import parse_amount
from ledger.domain.policy import Policy
from ledger.domain.vocabulary import Status as S


class RefundState:
    """Attributes set by `refund_apply.apply_payload`; verbs read them, never assign them."""

    request: e.RefundRequested
    status: str
    flags: list[str]
    findings: tuple[e.Finding, ...]
    verified: bool
    tier: str
    approvals_required: int
    approvals: list[e.ApprovalRecorded]
    approved_amount: Decimal | None
    paid_amount: Decimal | None
    payout_attempt: int
    payout_amount: Decimal | None
    deciders: set[str]
    pending_since: datetime | None
    breach_recorded_since: datetime | None
    status_before_dispute: str
    last_rule: str
    newest: Any  # the newest event applied

    if TYPE_CHECKING:  # provided by eventsourcing's Aggregate
        id: UUID
        version: int

        def trigger_event(self, event_class: Any, **kwargs: Any) -> None: ...

    @property
    def chain_head(self) -> str:
        """The chain hash of the newest event (see chain.py): hashed when a verb records the
        next event, not on every replay of the history."""
        return event_hash(self.newest)

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

    def _trigger(self, event_class: type[Any], payload: e.Payload, at: datetime) -> None:
        self.trigger_event(event_class, payload=payload, timestamp=at, prev_hash=self.chain_head)

    def _require_not_requester(self, actor: Actor, action: str) -> None:
        if actor.person == self.requester.person:
            raise SeparationOfDuties(
                f"{actor} requested this refund (as {self.requester}); "
                f"somebody else must {action} it"
            )

    def _default_approval_amount(self, policy: Policy) -> Decimal:
        fee = policy.restocking_fee(self.request.reason, self.request.amount, self.currency)
        return self.request.amount - fee

    def _exact(self, amount: Decimal, what: str) -> Decimal:
        """A decided amount must be positive and exact to the currency's minor unit."""
        if amount <= 0:
            raise InvalidDecision(
                f"cannot {what} {amount} {self.currency}: the amount must be greater than zero"
            )
        return parse_amount(amount, self.currency)
