"""What a customer is shown of its own refunds: an allow-list, deny by default.

It works on the staff view's dicts (`views.refund_out`, a status-view row, `views.event_out`),
so every interface and every source gives a customer the same thing. A key that is not
listed here is not shown, and an event type that is not listed is left out of the history:
a new field or event stays hidden until someone decides that a customer may see it.

Shown: status, amounts, currency, reason, channel, method, purchase date, dates and times,
the customer's own texts, the reasons of a rejection and of a dispute's outcome, and notes
marked for the customer. Staff appear by role only (`manager`); the customer as itself.
Versions are the refund's own: an event left out leaves a gap in the numbers.
"""

from __future__ import annotations

from typing import Any

from ledger.domain.actor import Actor

REFUND_KEYS: tuple[str, ...] = (
    "id", "status", "order_id", "customer_id", "currency", "requested_amount",
    "approved_amount", "paid_amount", "order_total", "reason", "channel", "method",
    "purchased_on", "requested_by", "flags", "version", "created_at", "updated_at",
)  # fmt: skip

EVENT_KEYS: tuple[str, ...] = ("version", "type", "actor", "at")

#: The payload keys a customer sees, per event type. A type not listed here (nor in OWN_TEXTS)
#: is wholly internal: Flagged, ApprovalRecorded, Escalated, SlaBreached, NoteAdded.
PAYLOAD_KEYS: dict[str, tuple[str, ...]] = {
    "Requested": (
        "order_id", "customer_id", "amount", "currency", "order_total", "reason", "channel",
        "method", "purchased_on",
    ),
    "Verified": ("passed",),
    "RoutedForApproval": (),
    "Approved": ("amount", "approvers"),
    "Rejected": ("reason",),
    "Cancelled": (),
    "PayoutStarted": ("method", "amount"),
    "PayoutSettled": ("amount",),
    "PayoutFailed": (),
    "DisputeOpened": ("previous_status",),
    "DisputeResolved": ("outcome", "rationale", "amount", "previous_status"),
    "CustomerNoteAdded": ("text", "visibility"),
    "OverturnRouted": ("rationale", "amount"),  # an overturn waiting for approval
    "OverturnRejected": ("reason",),  # the approver's refusal: the earlier decision stands
}  # fmt: skip

#: The customer's own texts: shown (and, for a type not in PAYLOAD_KEYS, the event too) only
#: when the event's actor is the customer itself.
OWN_TEXTS: dict[str, tuple[str, ...]] = {
    "Requested": ("note",),
    "Cancelled": ("reason",),
    "DisputeOpened": ("reason",),
    "NoteAdded": ("text", "visibility"),  # a customer's note stored before notes had one
}

#: Keys whose value is a list of actors (each shown as `shown_actor` shows one).
ACTOR_LISTS = frozenset({"approvers"})


def shown_actor(actor: str | None, viewer: Actor) -> str | None:
    """The customer itself as it is; anyone else by role only (`manager`, `system`)."""
    if actor is None or actor.lower() == str(viewer):
        return actor
    return actor.partition(":")[0]


def customer_refund(refund: dict[str, Any], viewer: Actor) -> dict[str, Any]:
    """The refund object as the customer `viewer` sees it (from the staff view's dict)."""
    shown = {key: refund[key] for key in REFUND_KEYS}
    shown["requested_by"] = shown_actor(refund["requested_by"], viewer)
    shown["flags"] = []  # whatever was raised: fraud rules are not the customer's to read
    return shown


def customer_event(event: dict[str, Any], viewer: Actor) -> dict[str, Any] | None:
    """One event as the customer `viewer` sees it, or None when it is left out."""
    kind = event["type"]
    own = event["actor"] is not None and event["actor"].lower() == str(viewer)
    keys = PAYLOAD_KEYS.get(kind)
    if own and kind in OWN_TEXTS:
        keys = (*(keys or ()), *OWN_TEXTS[kind])
    if keys is None:
        return None
    shown = {key: event[key] for key in EVENT_KEYS}
    shown["actor"] = shown_actor(event["actor"], viewer)
    for key in keys:
        if key in event:
            value = event[key]
            shown[key] = [shown_actor(a, viewer) for a in value] if key in ACTOR_LISTS else value
    return shown


def customer_history(events: list[dict[str, Any]], viewer: Actor) -> list[dict[str, Any]]:
    """The events the customer sees, oldest first, with the refund's own version numbers."""
    found = (customer_event(event, viewer) for event in events)
    return [event for event in found if event is not None]


def shown_payload_keys() -> tuple[str, ...]:
    """Every payload key that some event may show a customer (the response model's fields)."""
    keys = [key for group in (*PAYLOAD_KEYS.values(), *OWN_TEXTS.values()) for key in group]
    return tuple(dict.fromkeys(keys))


def customer_event_doc() -> str:
    """What each event type shows a customer, in words (the API's description of it)."""
    lines = ["One event as its customer sees it; wholly internal events are left out.", ""]
    for kind, keys in PAYLOAD_KEYS.items():
        own = OWN_TEXTS.get(kind, ())
        shown = ", ".join(keys) or "no fields"
        lines.append(
            f"- {kind}: {shown}" + (f"; {', '.join(own)} if the customer acted" if own else "")
        )
    for kind in OWN_TEXTS.keys() - PAYLOAD_KEYS.keys():
        lines.append(f"- {kind}: only if the customer acted: {', '.join(OWN_TEXTS[kind])}")
    return "\n".join(lines)
