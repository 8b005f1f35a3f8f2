"""The validated content of a refund request, and its idempotency fingerprint."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from ledger.app import inputs
from ledger.domain.money import parse_amount, parse_currency
from ledger.domain.payloads import Item


@dataclass(frozen=True)
class RequestForm:
    """A refund request exactly as a person or a system typed it (strings)."""

    order_id: str
    customer_id: str
    amount: str | None
    currency: str
    order_total: str | None
    reason: str
    channel: str = "portal"
    method: str = "original_payment"
    purchased_on: str | None = None
    items: tuple[str, ...] = ()
    address: str | None = None
    note: str | None = None
    idempotency_key: str | None = None


@dataclass(frozen=True)
class RefundRequestIn:
    """A request whose every field has been checked."""

    order_id: str
    customer_id: str
    amount: Decimal | None
    currency: str
    order_total: Decimal | None
    reason: str
    channel: str
    method: str
    purchased_on: date | None
    items: tuple[Item, ...] = field(default=())
    address: str | None = None
    note: str | None = None
    idempotency_key: str | None = None

    @classmethod
    def parse(cls, form: RequestForm) -> RefundRequestIn:
        currency = parse_currency(form.currency)
        return cls(
            order_id=inputs.identifier(form.order_id, "order id"),
            customer_id=inputs.identifier(form.customer_id, "customer id"),
            amount=None if form.amount is None else parse_amount(form.amount, currency),
            currency=currency,
            order_total=None
            if form.order_total is None
            else inputs.amount(form.order_total, currency, "order total"),
            reason=inputs.reason(form.reason),
            channel=inputs.channel(form.channel),
            method=inputs.method(form.method),
            purchased_on=None
            if form.purchased_on is None
            else inputs.day(form.purchased_on, "purchase date"),
            items=tuple(inputs.item(i) for i in form.items),
            address=inputs.optional_text(form.address, "address"),
            note=inputs.optional_text(form.note, "note"),
            idempotency_key=None
            if form.idempotency_key is None
            else inputs.identifier(form.idempotency_key, "idempotency key"),
        )

    def fingerprint(self, actor: str) -> str:
        """Hash of the content (not the key): a replay with other content is refused."""
        content = {
            "actor": actor,
            "order_id": self.order_id,
            "customer_id": self.customer_id,
            "amount": str(self.amount),
            "currency": self.currency,
            "order_total": str(self.order_total),
            "reason": self.reason,
            "channel": self.channel,
            "method": self.method,
            "purchased_on": str(self.purchased_on),
            "items": [[i.sku, i.quantity] for i in self.items],
            "address": self.address,
            "note": self.note,
        }
        encoded = json.dumps(content, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(encoded.encode()).hexdigest()
