"""The closed vocabularies of a refund: reasons, channels, settlement methods, statuses."""

from __future__ import annotations

from typing import Literal, get_args

Reason = Literal[
    "damaged",
    "defective",
    "wrong_item",
    "wrong_quantity",
    "not_as_described",
    "late_delivery",
    "change_of_mind",
    "billing_error",
    "price_adjustment",
    "goodwill",
    "short_payment_writeoff",
    "cancellation",
]
Role = Literal[
    "customer", "agent", "verifier", "manager", "finance", "disputes", "auditor", "system"
]

REASONS: tuple[str, ...] = get_args(Reason)
ROLES: tuple[str, ...] = get_args(Role)
CHANNELS = ("portal", "phone", "store", "api", "email")
METHODS = ("original_payment", "bank_transfer", "store_credit", "credit_note")


class Status:
    REQUESTED = "requested"
    PENDING_APPROVAL = "pending_approval"
    APPROVED = "approved"
    REJECTED = "rejected"
    PAYOUT_PENDING = "payout_pending"
    PAID = "paid"
    PAYOUT_FAILED = "payout_failed"
    DISPUTED = "disputed"
    CANCELLED = "cancelled"


STATUSES = (
    Status.REQUESTED,
    Status.PENDING_APPROVAL,
    Status.APPROVED,
    Status.REJECTED,
    Status.PAYOUT_PENDING,
    Status.PAID,
    Status.PAYOUT_FAILED,
    Status.DISPUTED,
    Status.CANCELLED,
)
