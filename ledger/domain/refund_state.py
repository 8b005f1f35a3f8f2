"""The state of a refund and the helpers its verbs share."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from uuid import UUID

from ledger.domain import payloads as e
from ledger.domain.actor import Actor
from ledger.domain.chain import event_hash
from ledger.domain.errors import InvalidDecision
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
    newest_event: Any  # the refund's newest event: its chain hash is `chain_head`
    # Added later than the rest, so defaults here for every refund (immutable: the apply
    # replaces them, never changes them in place):
    overturn_amount: Decimal | None = None  # an overturn waiting for approval: its amount
    approved_by: frozenset[str] = frozenset()  # who approved or overturned (by person)
    openers: frozenset[str] = frozenset()  # who opened a dispute on it (by person)

    if TYPE_CHECKING:  # provided by eventsourcing's Aggregate
        id: UUID
        version: int

        def trigger_event(self, event_class: Any, **kwargs: Any) -> None: ...

    @property
    def chain_head(self) -> str:
        """The chain hash of the newest event (see chain.py). Computed on demand, not on each
        replayed event: replays only need the newest one's, and most never ask."""
        return event_hash(self.newest_event)

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
        """What this refund holds of its order's refundable balance: an overturn waiting
        for approval holds its whole amount, so that approving it can never overdraw."""
        if self.overturn_amount is not None:
            return self.overturn_amount
        status = self.status_before_dispute if self.status == S.DISPUTED else self.status
        if status in (S.REJECTED, S.CANCELLED):
            return Decimal(0)
        return self.approved_amount if self.approved_amount is not None else self.request.amount

    def _trigger(self, event_class: type[Any], payload: e.Payload, at: datetime) -> None:
        self.trigger_event(event_class, payload=payload, timestamp=at, prev_hash=self.chain_head)

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
