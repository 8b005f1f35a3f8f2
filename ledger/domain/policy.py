"""The refund policy: a validated, versioned set of rules. Pure: loading lives elsewhere."""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal
from functools import cached_property
from typing import Annotated, Literal, cast, get_args

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ledger.domain.money import round_to_currency
from ledger.domain.vocabulary import Reason, Role

Action = Literal[
    "request",
    "verify",
    "approve",
    "reject",
    "escalate",
    "cancel",
    "payout",
    "dispute_open",
    "dispute_resolve",
    "note",
    "order_capture",
]
Amount = Annotated[Decimal, Field(ge=0)]
Percent = Annotated[Decimal, Field(ge=0, le=100)]
Days = Annotated[int, Field(ge=0)]


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Verification(_Section):
    goods_return_reasons: tuple[Reason, ...]
    default_return_window_days: int = Field(ge=0)
    return_window_days: dict[Reason, Days] = Field(default_factory=dict)


class AutoApproval(_Section):
    max_amount: Amount = Field(ge=0)
    excluded_reasons: tuple[Reason, ...]


class Approval(_Section):
    tiers: tuple[Role, ...] = Field(min_length=1)
    dual_control_above: Amount = Field(ge=0)
    two_approvers_above: Amount = Field(ge=0)
    two_approvers_role: Role
    limits: dict[Role, Amount]

    @model_validator(mode="after")
    def _tiers_have_limits(self) -> Approval:
        missing = [role for role in self.tiers if role not in self.limits]
        if missing:
            raise ValueError(f"approval.limits has no limit for tier role(s) {missing}")
        return self


class Goodwill(_Section):
    standard_percent: Percent = Field(gt=0, le=100)


class Sla(_Section):
    pending_approval_hours: int = Field(gt=0)


class Fraud(_Section):
    max_refunds_per_customer: int = Field(ge=0)
    refunds_window_days: int = Field(gt=0)
    max_refund_to_order_ratio: Decimal = Field(gt=0)
    ratio_window_days: int = Field(gt=0)
    max_customers_per_address: int = Field(ge=1)


class Separation(_Section):
    """Separation-of-duty rules the policy may switch off (true: enforced). Each key names
    what it forbids; a refusal names it as `separation.<key>`. Always on, whatever the
    policy: the requester never approves or rejects (`separation.requester_decides`), one
    person never gives both approvals (`separation.second_approval`), and whoever approved
    or rejected never resolves the dispute about it (`separation.decider_resolves`)."""

    requester_verifies: bool
    participant_resolves: bool
    resolver_approves_alone: bool
    participant_decides_overturn: bool
    approver_pays_out: bool


class Policy(_Section):
    """Every rule the ledger applies. `version` is a hash of the content."""

    verification: Verification
    auto_approval: AutoApproval
    approval: Approval
    restocking_fee_percent: dict[Reason, Percent] = Field(default_factory=dict)
    goodwill: Goodwill
    sla: Sla
    fraud: Fraud
    separation: Separation
    permissions: dict[Action, tuple[Role, ...]]

    @model_validator(mode="after")
    def _every_action_has_roles(self) -> Policy:
        missing = [a for a in get_args(Action) if a not in self.permissions]
        if missing:
            raise ValueError(f"permissions has no entry for {missing}")
        return self

    @cached_property
    def version(self) -> str:
        """First 16 hex digits of the SHA-256 of the policy's canonical JSON (computed once:
        every decision stores it, and hashing the whole policy showed in the profile)."""
        canonical = json.dumps(self.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()[:16]

    # --- questions the domain asks ---

    def roles_for(self, action: Action) -> tuple[str, ...]:
        return tuple(self.permissions[action])

    def goods_come_back(self, reason: str) -> bool:
        return reason in self.verification.goods_return_reasons

    def return_window_days(self, reason: str) -> int:
        windows = cast("dict[str, int]", self.verification.return_window_days)
        return windows.get(reason, self.verification.default_return_window_days)

    def restocking_fee(self, reason: str, amount: Decimal, currency: str) -> Decimal:
        percent = cast("dict[str, Decimal]", self.restocking_fee_percent).get(reason, Decimal(0))
        return round_to_currency(amount * percent / 100, currency)

    def standard_goodwill(self, order_total: Decimal, currency: str) -> Decimal:
        return round_to_currency(order_total * self.goodwill.standard_percent / 100, currency)

    def approvals_required(self, amount: Decimal) -> int:
        return 2 if amount > self.approval.dual_control_above else 1

    def limit_of(self, role: str) -> Decimal | None:
        return cast("dict[str, Decimal]", self.approval.limits).get(role)

    def may_approve_amount(self, role: str, amount: Decimal) -> bool:
        """Whether one approval by `role` counts towards approving `amount`."""
        if amount > self.approval.two_approvers_above:
            return role == self.approval.two_approvers_role
        limit = self.limit_of(role)
        return limit is not None and amount <= limit

    def initial_tier(self, amount: Decimal) -> int:
        """Index into `approval.tiers` of the lowest tier that may approve `amount`."""
        for index, role in enumerate(self.approval.tiers):
            if self.may_approve_amount(role, amount):
                return index
        return len(self.approval.tiers) - 1

    def tier_name(self, tier: int) -> str:
        return self.approval.tiers[tier]

    def roles_at_or_above(self, tier: int) -> tuple[str, ...]:
        return tuple(self.approval.tiers[tier:])
