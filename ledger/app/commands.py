"""What each command takes in: one model per command, for every interface. The API takes
them as request bodies (strict JSON: amounts are decimal strings); the CLI fills them from
its options. No actor (the token or --actor decides who acts), no refund id (the path or the
argument names it), no idempotency key (a header or an option carries it).

The field names are the API's; each field's type (fields.py) parses and checks it.
"""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal
from typing import Annotated, Any, Literal, get_args

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    WithJsonSchema,
    model_validator,
)

from ledger.app import inputs
from ledger.app.fields import (
    AMOUNT_SCHEMA,
    MAX_CURRENCY,
    Amount,
    Channel,
    Currency,
    Day,
    Ident,
    Line,
    Method,
    ReasonCode,
    RequestText,
    Sku,
    Text,
    to_parse,
)
from ledger.domain.errors import InvalidAmount
from ledger.domain.money import parse_amount, parse_currency
from ledger.domain.payloads import Item


class CommandIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class ItemIn(CommandIn):
    sku: Sku
    quantity: Annotated[int, Field(ge=1, le=100_000)]

    @classmethod
    def parse(cls, text: str) -> ItemIn:
        """An item as `SKU:QUANTITY` (the CLI's `--item`)."""
        item = inputs.item(text)
        return cls(sku=item.sku, quantity=item.quantity)


class RefundRequestIn(CommandIn):
    """A refund request (`ledger request`, `POST /refunds`)."""

    order_id: Ident
    customer_id: Ident
    amount: Amount | None = None
    currency: Currency
    order_total: Amount | None = None
    reason: ReasonCode
    channel: Channel = "api"
    purchased_on: Day | None = None
    method: Method = "original_payment"
    items: Annotated[list[ItemIn], Field(max_length=100)] = []
    address: RequestText | None = None
    note: RequestText | None = None

    @model_validator(mode="before")
    @classmethod
    def _amounts_in_currency(cls, data: Any, info: ValidationInfo) -> Any:
        """The amounts are exact to the currency's minor unit (the currency checked first)."""
        if not isinstance(data, dict) or not to_parse(data.get("currency"), info, MAX_CURRENCY):
            return data
        currency = parse_currency(data["currency"])
        found = dict(data, currency=currency)
        if to_parse(data.get("amount"), info):
            found["amount"] = _exact(data["amount"], currency)
        if to_parse(data.get("order_total"), info):
            found["order_total"] = inputs.amount(
                data["order_total"], currency, "order total", "order_total"
            )
        return found

    def goods(self) -> tuple[Item, ...]:
        """The returned items, as the request's event records them."""
        return tuple(Item(sku=item.sku, quantity=item.quantity) for item in self.items)

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


def _exact(text: str, currency: str) -> Decimal:
    try:
        return parse_amount(text, currency)
    except InvalidAmount as error:
        error.field = "amount"
        raise


class VerificationIn(CommandIn):
    condition: Text | None = None
    fail_reason: Text | None = None


class ApprovalIn(CommandIn):
    amount: Amount | None = None
    note: Text | None = None


class ReasonIn(CommandIn):
    """The reason of a rejection, an escalation, a cancellation or a dispute."""

    reason: Text


class PayoutIn(CommandIn):
    method: Method | None = None


class SettlementIn(CommandIn):
    reference: Line


class FailureIn(CommandIn):
    reason: Text
    reference: Line | None = None


Outcome = Literal["upheld", "overturned"]
OUTCOMES: tuple[str, ...] = get_args(Outcome)


class ResolutionIn(CommandIn):
    outcome: Outcome
    amount: Amount | None = None
    rationale: Text


class NoteIn(CommandIn):
    text: Text
    visibility: Literal["internal", "customer"] | None = Field(
        default=None,
        description="`internal` (staff only) or `customer` (the customer sees it too). "
        "Default: `internal`; a customer's own note is always `customer`.",
    )


class OrderIn(CommandIn):
    """An order's facts from a trusted source (`ledger order capture`, `order import`,
    `POST /orders`)."""

    order_id: Ident
    customer_id: Ident
    total: Annotated[Amount, WithJsonSchema({**AMOUNT_SCHEMA, "description": 'e.g. "59.90"'})]
    currency: Currency
    purchased_on: Day | None = None
    address: RequestText | None = None

    @model_validator(mode="before")
    @classmethod
    def _total_in_currency(cls, data: Any, info: ValidationInfo) -> Any:
        """The total is exact to the currency's minor unit (the currency checked first)."""
        if not isinstance(data, dict) or not to_parse(data.get("currency"), info, MAX_CURRENCY):
            return data
        currency = parse_currency(data["currency"])
        found = dict(data, currency=currency)
        if to_parse(data.get("total"), info):
            found["total"] = inputs.amount(data["total"], currency, "order total", "total")
        return found
