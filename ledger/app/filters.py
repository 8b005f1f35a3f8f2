"""The filters of `list` and `audit search` from what a person typed, for the CLI and the API.

A refused value names its field (`since`); each interface words it for its users (the CLI as
its option `--since`, the API as its query parameter).
"""

from __future__ import annotations

from ledger.app import inputs
from ledger.domain.actor import Actor
from ledger.domain.errors import InvalidInput
from ledger.domain.vocabulary import STATUSES
from ledger.projections.queries import RefundFilter, TrailFilter
from ledger.projections.trail import EVENT_TYPES


def refund_filter(
    status: str | None = None,
    customer: str | None = None,
    order: str | None = None,
    reason: str | None = None,
    tier: str | None = None,
    since: str | None = None,
    until: str | None = None,
) -> RefundFilter:
    return RefundFilter(
        status=None if status is None else inputs.choice(status, "status", STATUSES),
        customer=None if customer is None else inputs.identifier(customer, "customer id"),
        order=None if order is None else inputs.identifier(order, "order id"),
        reason=None if reason is None else inputs.reason(reason),
        tier=None if tier is None else inputs.identifier(tier, "tier"),
        since=None if since is None else inputs.moment(since, field="since"),
        until=None if until is None else inputs.moment(until, field="until"),
    )


def trail_filter(
    actor: str | None = None,
    type_: str | None = None,
    refund: str | None = None,
    since: str | None = None,
    until: str | None = None,
) -> TrailFilter:
    return TrailFilter(
        actor=None if actor is None else str(Actor.parse(actor)),
        type=None if type_ is None else event_type(type_),
        refund=None if refund is None else str(inputs.refund_id(refund)),
        since=None if since is None else inputs.moment(since, field="since"),
        until=None if until is None else inputs.moment(until, field="until"),
    )


def event_type(text: str) -> str:
    """An event type as `history` names it (Approved, PayoutSettled, ...), any case."""
    by_lower = {name.lower(): name for name in EVENT_TYPES}
    found = by_lower.get(text.strip().lower())
    if found is None:
        raise InvalidInput(f"unknown event type {text!r}: choose one of {', '.join(EVENT_TYPES)}")
    return found
