"""JSON-ready views of refunds and their history (the CLI's `--json` contract)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ledger.domain.refund import Refund


def _money(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def refund_out(refund: Refund) -> dict[str, Any]:
    request = refund.request
    return {
        "id": str(refund.id),
        "status": refund.status,
        "order_id": request.order_id,
        "customer_id": request.customer_id,
        "currency": request.currency,
        "requested_amount": _money(request.amount),
        "approved_amount": _money(refund.approved_amount),
        "paid_amount": _money(refund.paid_amount),
        "order_total": _money(request.order_total),
        "reason": request.reason,
        "channel": request.channel,
        "method": request.method,
        "purchased_on": None if request.purchased_on is None else str(request.purchased_on),
        "requested_by": request.actor,
        "flags": list(refund.flags),
        "tier": refund.tier or None,
        "approvals_required": refund.approvals_required,
        "approvals": [a.actor for a in refund.approvals],
        "payout_attempt": refund.payout_attempt,
        "last_rule": refund.last_rule or None,
        "version": refund.version,
        "created_at": refund.created_on.isoformat(),
        "updated_at": refund.modified_on.isoformat(),
    }


def event_out(event: Any) -> dict[str, Any]:
    """One stored event: version, type, actor, time, then the event's own fields."""
    fields = event.payload.model_dump(mode="json")
    return {
        "version": event.originator_version,
        "type": type(event).__name__,
        "actor": fields.pop("actor", None),
        "at": event.timestamp.isoformat(),
        **fields,
    }


_SUMMARY_SKIP = frozenset({"version", "type", "actor", "at", "fingerprint", "findings", "items"})


def event_summary(event: dict[str, Any], also_skip: frozenset[str] = frozenset()) -> str:
    """The fields of an event (as `event_out` gives it) that a person reads first."""
    skip = _SUMMARY_SKIP | also_skip
    parts = [
        f"{key}={value}"
        for key, value in event.items()
        if key not in skip and value not in (None, [], "")
    ]
    failed = [f["check"] for f in event.get("findings", []) if not f["passed"]]
    if failed:
        parts.append(f"failed={','.join(failed)}")
    return "; ".join(parts)
