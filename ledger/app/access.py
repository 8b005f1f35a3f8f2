"""Who may read what. Commands are judged by the policy's permissions inside the domain;
reads have no event to judge, so their rules live here, one table for every interface."""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal
from uuid import UUID

from ledger.domain.actor import Actor
from ledger.domain.errors import RefundNotFound, RoleNotAllowed
from ledger.domain.refund import Refund

Read = Literal["refunds", "audit_search", "kpis", "reconcile", "metrics"]

STAFF = ("agent", "verifier", "manager", "finance", "disputes", "auditor", "system")
READERS: dict[Read, tuple[str, ...]] = {
    # customers read only their own refunds (see `visible`)
    "refunds": ("customer", *STAFF),
    "audit_search": ("manager", "finance", "disputes", "auditor"),
    "kpis": ("manager", "finance", "auditor"),
    "reconcile": ("finance", "auditor"),
    "metrics": ("auditor", "system"),  # unless the server runs with --public-metrics
}
READ_WORDS: dict[Read, str] = {
    "refunds": "read refunds",
    "audit_search": "search the audit trail",
    "kpis": "read the KPI report",
    "reconcile": "reconcile settlements",
    "metrics": "read the server's metrics",
}


def require_reader(actor: Actor, what: Read) -> None:
    if actor.role not in READERS[what]:
        raise RoleNotAllowed(str(actor), READ_WORDS[what], READERS[what])


def own_customer(actor: Actor) -> str | None:
    """The customer whose refunds alone this actor sees, or None when it sees every refund."""
    return actor.name if actor.role == "customer" else None


def visible(actor: Actor, refund: Refund) -> Refund:
    """The refund, if the actor may see it; to a customer, another customer's refund does
    not exist (not found, rather than forbidden, so ids cannot be probed)."""
    require_reader(actor, "refunds")
    customer = own_customer(actor)
    if customer is not None and refund.request.customer_id.lower() != customer:
        raise RefundNotFound(refund.id)
    return refund


def addressed(actor: Actor, refund_id: UUID, get: Callable[[UUID], Refund]) -> UUID:
    """The refund a command of `actor` names, once the actor may see it: to a customer,
    another customer's refund does not exist, as in `visible`. HTTP asks before the command
    runs (404); the CLI, whose operator names any refund, lets the command run, and the
    domain's own-customer rule refuses it (RoleNotAllowed)."""
    if own_customer(actor) is not None:
        visible(actor, get(refund_id))
    return refund_id
