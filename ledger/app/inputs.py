"""Turn what a person typed into domain values, or one clear InvalidInput error."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import UUID

from ledger.domain.errors import InvalidAmount, InvalidInput, InvalidRefundId
from ledger.domain.money import parse_amount, parse_decimal
from ledger.domain.payloads import Item
from ledger.domain.vocabulary import CHANNELS, METHODS, REASONS
from ledger.text import UNSAFE_IN_LINE, UNSAFE_IN_TEXT

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:/#-]{0,99}$"
_ID = re.compile(ID_PATTERN)
MAX_TEXT = 2000


def refund_id(text: str) -> UUID:
    try:
        return UUID(text.strip())
    except (ValueError, AttributeError):
        raise InvalidRefundId(text) from None


def identifier(text: str, what: str, field: str | None = None) -> str:
    value = text.strip()
    if not _ID.match(value):
        raise InvalidInput(
            f"invalid {what} {text!r}: use 1-100 letters, digits or . _ : / # - "
            "starting with a letter or digit",
            field,
        )
    return value


def text(value: str, what: str, field: str | None = None) -> str:
    """Free text (a note, a reason, an address): newlines and tabs allowed, no controls.

    With a `field` the message speaks of the field (each interface names it), else of
    `what`."""
    return _text(value, what, UNSAFE_IN_TEXT, field)


def optional_text(value: str | None, what: str, field: str | None = None) -> str | None:
    return None if value is None else text(value, what, field)


def single_line(value: str, what: str, field: str | None = None) -> str:
    """Text that is not free text (a payment reference): no newline or tab either."""
    return _text(value, what, UNSAFE_IN_LINE, field)


def optional_single_line(value: str | None, what: str, field: str | None = None) -> str | None:
    return None if value is None else single_line(value, what, field)


def _text(value: str, what: str, unsafe: re.Pattern[str], field: str | None) -> str:
    # checked before strip(), which would quietly drop a leading U+0085 or U+001C
    found = unsafe.search(value)
    if found:
        raise _about(
            field,
            what,
            f"{{field}} contains a control character (U+{ord(found.group()):04X}) "
            f"at position {found.start() + 1}",
        )
    cleaned = value.strip()
    if not cleaned:
        raise _about(field, what, "{field} must not be empty")
    if len(cleaned) > MAX_TEXT:
        raise _about(field, what, f"{{field}} is longer than {MAX_TEXT} characters")
    return cleaned


def _about(field: str | None, what: str, template: str) -> InvalidInput:
    """The error `template` about the field, or (no field) about `what`."""
    if field is None:
        return InvalidInput(template.replace("{field}", what))
    return InvalidInput.about(field, template)


def choice(value: str, what: str, allowed: tuple[str, ...], field: str | None = None) -> str:
    cleaned = value.strip().lower()
    if cleaned not in allowed:
        raise InvalidInput(f"unknown {what} {value!r}: choose one of {', '.join(allowed)}", field)
    return cleaned


def reason(value: str) -> str:
    return choice(value, "reason", REASONS, "reason")


def channel(value: str) -> str:
    return choice(value, "channel", CHANNELS, "channel")


def method(value: str) -> str:
    return choice(value, "settlement method", METHODS, "method")


def day(value: str, what: str = "date", field: str | None = None) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput(f"invalid {what} {value!r}: use YYYY-MM-DD", field) from None


def moment(value: str, what: str = "time", field: str | None = None) -> datetime:
    """An ISO 8601 time; without a zone it is taken as UTC. With a `field` the message speaks
    of the field (each interface names it), else of `what`."""
    try:
        parsed = datetime.fromisoformat(value.strip())
        return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    except (ValueError, OverflowError):  # OverflowError: an offset pushes it out of years 1-9999
        raise _about(
            field, what, f"invalid {{field}} {value!r}: use ISO 8601, e.g. 2026-11-01T09:30:00Z"
        ) from None


def item(value: str) -> Item:
    sku, sep, quantity = value.strip().rpartition(":")
    if not sep or not sku:
        raise InvalidInput(f"invalid item {value!r}: use SKU:QUANTITY, e.g. SKU-1:2")
    identifier(sku, "item SKU")
    # isdigit() alone accepts "²", which int() refuses: only ASCII digits are a quantity
    if not (quantity.isascii() and quantity.isdigit()) or not 0 < int(quantity) <= 100_000:
        raise InvalidInput(f"invalid item {value!r}: the quantity must be a whole number 1-100000")
    return Item(sku=sku, quantity=int(quantity))


def amount(value: str, currency: str, what: str = "amount", field: str | None = None) -> Decimal:
    """A positive amount exact to the currency's minor unit, named `what` in the message."""
    try:
        return parse_amount(value, currency)
    except InvalidInput as error:
        message = error.message.replace("invalid amount", f"invalid {what}", 1)
        raise InvalidInput(message, field) from None


def decimal(value: str, field: str = "amount") -> Decimal:
    """A positive amount in some currency not yet known: its minor unit is checked once it
    is (`money.parse_amount`)."""
    try:
        return parse_decimal(value)
    except InvalidAmount as error:
        error.field = field
        raise
