"""Real refund events as the compliance consumer receives them, and feeding them to it."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from consumers.compliance import ComplianceHandler
from consumers.messages import Delivered
from ledger.app.service import RefundLedger
from ledger.domain.actor import Actor
from ledger.kafka.cloudevents import cloudevent
from ledger.store.tracking import ViewStore

from .support import AGENT, DISPUTES, FINANCE, FINANCE_2, MANAGER, VERIFIER, FakeClock, form

CUSTOMER = Actor.parse("customer:c-1")


def delivered(event: Any) -> Delivered:
    """One stored refund event as the runner hands it over: its CloudEvent, decoded."""
    headers, value = cloudevent(event)
    ce = {name: raw.decode() for name, raw in headers}
    return Delivered(
        source=ce["ce_source"],
        id=ce["ce_id"],
        type=ce["ce_type"],
        subject=ce["ce_subject"],
        time=datetime.fromisoformat(ce["ce_time"]),
        body=json.loads(value),
    )


def messages(app: RefundLedger, refund_id: Any) -> list[Delivered]:
    return [delivered(event) for event in app.history(refund_id)]


def altered(message: Delivered, **fields: Any) -> Delivered:
    """The message with some body fields replaced (the payload's too, under `payload`)."""
    body = {**message.body, **{k: v for k, v in fields.items() if k != "payload"}}
    body["payload"] = {**message.payload, **fields.get("payload", {})}
    return replace(message, body=body)


def feed(store: ViewStore, handler: ComplianceHandler, batch: Iterable[Delivered]) -> None:
    """Each message in a transaction of its own, as a runner with one-message batches would."""
    for message in batch:
        with store.writing() as db:
            handler.handle(db, message)


def flagged_and_overturned(app: RefundLedger) -> Any:
    """90.00 of a 100.00 order (fraud flag), rejected, disputed, overturned to 80.00."""
    refund = app.request(AGENT, form(amount="90.00", order_total="100.00"))
    app.reject(refund.id, MANAGER, "too much of the order")
    app.open_dispute(refund.id, CUSTOMER, "the whole service failed")
    return app.resolve_dispute(
        refund.id, DISPUTES, "overturned", Decimal("80.00"), "outage confirmed"
    )


def dual_control(app: RefundLedger) -> Any:
    """6000.00 (above the dual-control threshold) approved by two finance people."""
    refund = app.request(
        AGENT, form(order_id="O-2", customer_id="C-2", amount="6000.00", order_total="10000.00")
    )
    app.approve(refund.id, FINANCE, None, None)
    return app.approve(refund.id, FINANCE_2, None, None)


def sla_overdue(app: RefundLedger, clock: FakeClock) -> Any:
    """Left pending: escalated by the SLA sweep, then breached at the top tier."""
    bought = str(clock.now.date())
    refund = app.request(
        AGENT,
        form(order_id="O-3", customer_id="C-3", amount="60.00", order_total="1000.00",
             reason="defective", purchased_on=bought),
    )  # fmt: skip
    app.verify(refund.id, VERIFIER, "broken hinge", None)
    app.sweep_sla(clock.now + timedelta(days=3), [refund.id])
    app.sweep_sla(clock.now + timedelta(days=6), [refund.id])
    return app.get(refund.id)
