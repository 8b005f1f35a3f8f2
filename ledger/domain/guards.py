"""Checks shared by the refund's verbs: who may act, and in which status."""

from __future__ import annotations

from ledger.domain.actor import Actor
from ledger.domain.errors import IllegalTransition, RoleNotAllowed
from ledger.domain.policy import Action, Policy

ACTION_WORDS: dict[Action, str] = {
    "request": "request a refund",
    "verify": "verify a refund",
    "approve": "approve a refund",
    "reject": "reject a refund",
    "escalate": "escalate a refund",
    "cancel": "cancel a refund",
    "payout": "record payouts",
    "dispute_open": "open a dispute",
    "dispute_resolve": "resolve a dispute",
    "note": "add a note",
    "order_capture": "capture an order",
}


def require_role(actor: Actor, action: Action, policy: Policy) -> None:
    roles = policy.roles_for(action)
    if actor.role not in roles:
        raise RoleNotAllowed(str(actor), ACTION_WORDS[action], roles)


def require_own_customer(actor: Actor, customer_id: str, action: Action) -> None:
    """A customer acts only on their own refunds."""
    if actor.role == "customer" and actor.name != customer_id.lower():
        what = f"{ACTION_WORDS[action]} for customer {customer_id}"
        raise RoleNotAllowed(str(actor), what, (f"customer:{customer_id}",))


def require_status(status: str, action: str, *allowed: str) -> None:
    if status not in allowed:
        raise IllegalTransition(action, status, allowed)
