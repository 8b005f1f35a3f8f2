"""Exact money: decimal amounts quantized to the currency's minor unit, never float."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from pydantic import BaseModel, ConfigDict, field_validator

from ledger.domain.currencies import MINOR_UNITS
from ledger.domain.errors import InvalidAmount, InvalidCurrency

# Larger than any refund a business would book, small enough to rule out typos and overflow.
MAX_AMOUNT = Decimal("1000000000000")


def parse_currency(text: str) -> str:
    """Return the ISO 4217 code for `text`, or raise InvalidCurrency."""
    code = text.strip().upper()
    if code not in MINOR_UNITS:
        raise InvalidCurrency(text)
    return code


def quantum(currency: str) -> Decimal:
    """The smallest amount of `currency` (0.01 for EUR, 1 for JPY)."""
    return Decimal(1).scaleb(-MINOR_UNITS[currency])


def parse_amount(text: str | Decimal, currency: str) -> Decimal:
    """Parse a positive amount exact to the currency's minor unit.

    Refuses what a person most likely typed by mistake instead of rounding it:
    non-numbers, NaN, infinities, zero or negative values, more decimals than the
    currency has, and absurdly large numbers.
    """
    value = parse_decimal(text)
    step = quantum(currency)
    if value != value.quantize(step):
        raise InvalidAmount(str(text), f"{currency} has {MINOR_UNITS[currency]} decimal places")
    return value.quantize(step)


def parse_decimal(text: str | Decimal) -> Decimal:
    """A positive amount in a currency not known yet (`parse_amount` checks its decimals once
    it is): refuses non-numbers, NaN, infinities, zero or less, and absurdly large numbers."""
    raw = text.strip() if isinstance(text, str) else text
    if isinstance(raw, str) and not raw.isascii():
        raise InvalidAmount(str(text), "use the digits 0-9 and a decimal point")
    try:
        value = Decimal(raw)
    except (InvalidOperation, ValueError):
        raise InvalidAmount(str(text), "it is not a decimal number") from None
    if not value.is_finite():
        raise InvalidAmount(str(text), "it is not a finite number")
    if value <= 0:
        raise InvalidAmount(str(text), "it must be greater than zero")
    if value >= MAX_AMOUNT:
        raise InvalidAmount(str(text), f"it must be below {MAX_AMOUNT:,}")
    return value


def round_to_currency(value: Decimal, currency: str) -> Decimal:
    """Round a computed amount (a fee, a percentage) half-up to the minor unit."""
    return value.quantize(quantum(currency), rounding="ROUND_HALF_UP")


class Money(BaseModel):
    """An exact amount in one currency."""

    model_config = ConfigDict(frozen=True)

    amount: Decimal
    currency: str

    @field_validator("currency")
    @classmethod
    def _known_currency(cls, value: str) -> str:
        return parse_currency(value)

    @classmethod
    def parse(cls, amount: str | Decimal, currency: str) -> Money:
        code = parse_currency(currency)
        return cls(amount=parse_amount(amount, code), currency=code)

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"
