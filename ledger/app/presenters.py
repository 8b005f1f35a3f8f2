"""Presenters: JSON-ready views of refunds and their history (the CLI's `--json` contract).

`RefundOut` (its dict: `refund_out`) and `event_out` are the staff view; `refund_view` and
`history_view` give each reader its view: a customer the customer view (customer_view.py),
anyone else the staff view. Every interface renders what these give, and the API documents
a refund with `RefundOut`.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from pydantic import BaseModel

from ledger.app.access import own_customer
from ledger.app.customer_view import customer_history, customer_refund
from ledger.domain.actor import Actor
from ledger.domain.refund import Refund
from ledger.domain.refund_events import NOTE_VISIBILITY


def _money(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


class RefundOut(BaseModel):
    """A refund, as `ledger show --json` prints it (the staff view)."""

    id: str
    status: str
    order_id: str
    customer_id: str
    currency: str
    requested_amount: str | None
    approved_amount: str | None
    paid_amount: str | None
    order_total: str | None
    reason: str
    channel: str
    method: str
    purchased_on: str | None
    requested_by: str
    flags: list[str]
    tier: str | None
    approvals_required: int
    approvals: list[str]
    payout_attempt: int
    last_rule: str | None
    version: int
    created_at: str
    updated_at: str

    @classmethod
    def of(cls, refund: Refund) -> RefundOut:
        return cls.model_validate(refund_out(refund))


def refund_out(refund: Refund) -> dict[str, Any]:
    """The refund with `RefundOut`'s fields, ready for JSON (`--json`, the API's answers):
    built as a dict, as `show` and every answer need it, without a model's validation and
    dump on the way (a fifth of `show`'s time). tests/integration/test_app_queries.py holds
    it equal to the model."""
    request = refund.request
    return dict(
        id=str(refund.id),
        status=refund.status,
        order_id=request.order_id,
        customer_id=request.customer_id,
        currency=request.currency,
        requested_amount=_money(request.amount),
        approved_amount=_money(refund.approved_amount),
        paid_amount=_money(refund.paid_amount),
        order_total=_money(request.order_total),
        reason=request.reason,
        channel=request.channel,
        method=request.method,
        purchased_on=None if request.purchased_on is None else str(request.purchased_on),
        requested_by=request.actor,
        flags=list(refund.flags),
        tier=refund.tier or None,
        approvals_required=refund.approvals_required,
        approvals=[a.actor for a in refund.approvals],
        payout_attempt=refund.payout_attempt,
        last_rule=refund.last_rule or None,
        version=refund.version,
        created_at=refund.created_on.isoformat(),
        updated_at=refund.modified_on.isoformat(),
    )


def event_out(event: Any) -> dict[str, Any]:
    """One stored event: version, type, actor, time, then the event's own fields (and a
    note's `visibility`, which its event type records)."""
    fields = event.payload.model_dump(mode="json")
    visibility = NOTE_VISIBILITY.get(type(event))
    if visibility is not None:
        fields["visibility"] = visibility
    return {
        "version": event.originator_version,
        "type": type(event).__name__,
        "actor": fields.pop("actor", None),
        "at": event.timestamp.isoformat(),
        **fields,
    }


def refund_view(refund: Refund | dict[str, Any], viewer: Actor | None) -> dict[str, Any]:
    """The refund (or its status-view object) as `viewer` is shown it. Whoever sees only
    its own refunds (a customer) sees the customer view; None is the operator at the CLI."""
    data = refund if isinstance(refund, dict) else refund_out(refund)
    if viewer is None or own_customer(viewer) is None:
        return data
    return customer_refund(data, viewer)


def history_view(events: Iterable[Any], viewer: Actor | None) -> list[dict[str, Any]]:
    """The refund's stored events as `viewer` is shown them (see `refund_view`), oldest first."""
    full = [event_out(event) for event in events]
    if viewer is None or own_customer(viewer) is None:
        return full
    return customer_history(full, viewer)
