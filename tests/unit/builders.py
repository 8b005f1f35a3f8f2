"""Refunds in a given state, built through the domain's own verbs, and a refusal check."""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar
from uuid import uuid4

import pytest
from eventsourcing.domain import Aggregate

from ledger.domain import payloads as e
from ledger.domain.actor import SYSTEM_POLICY, Actor
from ledger.domain.errors import LedgerError
from ledger.domain.policy import Policy
from ledger.domain.refund import Refund
from ledger.domain.verification import assess
from ledger.policy_file import load_policy

POLICY = load_policy()
T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
REQUESTER = "agent:alice"
CUSTOMER = "c-1"
MANAGER = "manager:mia"
FINANCE = "finance:fay"
DISPUTES = "disputes:dan"


def at(hours: float) -> datetime:
    """A moment `hours` after the request was made."""
    return T0 + timedelta(hours=hours)


def actor(text: str) -> Actor:
    return Actor.parse(text)


def request_payload(
    amount: str = "100.00",
    *,
    reason: str = "billing_error",
    currency: str = "EUR",
    order_total: str = "20000.00",
    requester: str = REQUESTER,
    customer_id: str = CUSTOMER,
    purchased_on: date | None = None,
    method: str = "original_payment",
) -> e.RefundRequested:
    return e.RefundRequested(
        actor=requester,
        order_id="o-1",
        customer_id=customer_id,
        amount=Decimal(amount),
        currency=currency,
        order_total=Decimal(order_total),
        reason=reason,
        channel="portal",
        method=method,
        purchased_on=purchased_on,
        fingerprint="fingerprint",
        policy_version=POLICY.version,
    )


def new_refund(amount: str = "100.00", **fields: Any) -> Refund:
    """A refund just requested (status `requested`)."""
    payload = request_payload(amount, **fields)
    return Refund.open(uuid4(), Actor.parse(payload.actor), payload, POLICY, T0)


def verify(
    refund: Refund,
    *,
    by: str = str(SYSTEM_POLICY),
    when: datetime = T0,
    refundable: str | None = None,
    condition: str | None = None,
    failure: str | None = None,
    policy: Policy = POLICY,
) -> Refund:
    """Run the verification checks as the application does and record them."""
    outcome = assess(
        refund.request,
        refund.created_on.date(),
        refund.request.order_total if refundable is None else Decimal(refundable),
        policy,
        condition=condition,
        failure=failure,
    )
    refund.verify(actor(by), outcome, policy, when)
    return refund


def pending_refund(amount: str = "200.00", **fields: Any) -> Refund:
    """A verified refund waiting in `pending_approval`."""
    refund = verify(new_refund(amount, **fields))
    assert refund.status == "pending_approval"
    return refund


def approved_refund(amount: str = "200.00", **fields: Any) -> Refund:
    """A refund of at most 1,000.00 approved by a manager."""
    refund = pending_refund(amount, **fields)
    refund.approve(actor(MANAGER), None, None, POLICY, at(1))
    assert refund.status == "approved"
    return refund


def paying_refund(amount: str = "200.00", **fields: Any) -> Refund:
    """An approved refund whose payout has started."""
    refund = approved_refund(amount, **fields)
    refund.start_payout(actor(FINANCE), None, POLICY, at(2))
    return refund


def paid_refund(amount: str = "200.00", **fields: Any) -> Refund:
    """A refund paid out in full."""
    refund = paying_refund(amount, **fields)
    refund.settle_payout(actor(FINANCE), "PSP-1", POLICY, at(3))
    assert refund.status == "paid"
    return refund


P = TypeVar("P", bound=e.Payload)


def payloads(aggregate: Aggregate) -> list[e.Payload]:
    """The payloads of the aggregate's pending events, oldest first."""
    events: list[Any] = list(aggregate.pending_events)
    return [event.payload for event in events]


def payload(aggregate: Aggregate, kind: type[P], index: int = -1) -> P:
    """The payload of one pending event, checked to be a `kind`."""
    found = payloads(aggregate)[index]
    assert isinstance(found, kind), f"expected {kind.__name__}, got {type(found).__name__}"
    return found


def event_types(refund: Refund) -> list[str]:
    return [type(event).__name__ for event in refund.pending_events]


def _state(aggregate: Aggregate) -> dict[str, Any]:
    return copy.deepcopy({k: v for k, v in vars(aggregate).items() if k != "_pending_events"})


@contextmanager
def refused(aggregate: Aggregate, error: type[LedgerError], fragment: str) -> Iterator[None]:
    """The block must raise exactly `error` mentioning `fragment`, and change nothing."""
    version = aggregate.version
    pending = len(aggregate.pending_events)
    before = _state(aggregate)
    with pytest.raises(error, match=re.escape(fragment)) as raised:
        yield
    assert type(raised.value) is error
    assert aggregate.version == version
    assert len(aggregate.pending_events) == pending
    assert _state(aggregate) == before


def policy_with(**tables: dict[str, Any]) -> Policy:
    """The default policy with some of its tables' keys changed, e.g.
    `policy_with(separation={"requester_verifies": False})`."""
    data = POLICY.model_dump()
    for table, values in tables.items():
        for key, value in values.items():
            if isinstance(value, dict):
                data[table][key] = {**data[table][key], **value}
            else:
                data[table][key] = value
    return Policy.model_validate(data)
