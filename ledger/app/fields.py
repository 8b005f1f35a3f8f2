"""The fields of the command models (commands.py): each type parses what a person typed
with the functions of inputs.py, so the CLI and the API refuse the same input with the same
message, and documents its shape (the API's schema) with `Field` constraints.

A value of the wrong JSON type (a number for a string) is left to pydantic, which refuses it
(the models are strict); a string is parsed here, before the constraints are checked.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, ValidationInfo, WithJsonSchema
from pydantic_core import PydanticKnownError

from ledger.app import inputs
from ledger.domain.money import parse_currency

MAX_DECIMAL = 40  # characters of an amount: far more than any amount below MAX_AMOUNT needs
AMOUNT_SCHEMA = {
    "type": "string",
    "minLength": 1,
    "maxLength": MAX_DECIMAL,
    "description": 'A decimal string, e.g. "12.50".',
}


def _strings(parse: Callable[[str, str], Any]) -> BeforeValidator:
    """Parse a string with `parse(text, field_name)`; leave anything else to pydantic."""

    def check(value: Any, info: ValidationInfo) -> Any:
        return parse(value, info.field_name or "value") if isinstance(value, str) else value

    return BeforeValidator(check)


def _words(field: str) -> str:
    return field.replace("_", " ")


def decimal_text(value: Any) -> bool:
    """Whether `value` is a decimal string to parse (one longer than its schema allows is
    left to `_decimal`, which refuses it)."""
    return isinstance(value, str) and len(value) <= MAX_DECIMAL


def _decimal(value: Any, info: ValidationInfo) -> Any:
    """A decimal string (a JSON number is refused: it would be a float on the way)."""
    if isinstance(value, Decimal):
        return value
    if not isinstance(value, str):
        raise PydanticKnownError("string_type")
    if len(value) > MAX_DECIMAL:
        raise PydanticKnownError("string_too_long", {"max_length": MAX_DECIMAL})
    return inputs.decimal(value, info.field_name or "amount")


Ident = Annotated[
    str,
    _strings(lambda text, field: inputs.identifier(text, _words(field), field)),
    Field(min_length=1, max_length=100),
]
Sku = Annotated[
    str,
    _strings(lambda text, field: inputs.identifier(text, "item SKU", field)),
    Field(min_length=1, max_length=100),
]
Text = Annotated[
    str,
    _strings(lambda text, field: inputs.text(text, field, field)),
    Field(min_length=1, max_length=inputs.MAX_TEXT),
]
# A request's texts: their messages have always named them in words ("note contains ..."),
# in `ledger request` too, where the other commands name the option ("--note contains ...").
RequestText = Annotated[
    str,
    _strings(lambda text, field: inputs.text(text, _words(field))),
    Field(min_length=1, max_length=inputs.MAX_TEXT),
]
Line = Annotated[
    str,
    _strings(lambda text, field: inputs.single_line(text, field, field)),
    Field(min_length=1, max_length=inputs.MAX_TEXT),
]
Currency = Annotated[
    str,
    _strings(lambda text, field: parse_currency(text)),
    Field(min_length=1, max_length=10, description="ISO 4217 code, e.g. EUR."),
]
ReasonCode = Annotated[
    str, _strings(lambda text, field: inputs.reason(text)), Field(min_length=1, max_length=100)
]
Channel = Annotated[
    str, _strings(lambda text, field: inputs.channel(text)), Field(min_length=1, max_length=100)
]
Method = Annotated[
    str, _strings(lambda text, field: inputs.method(text)), Field(min_length=1, max_length=100)
]
Day = Annotated[
    date,
    _strings(lambda text, field: inputs.day(text, "purchase date", field)),
    WithJsonSchema({"type": "string", "maxLength": 40, "description": "YYYY-MM-DD"}),
]
# A positive amount whose currency is the refund's: its decimals are checked against it there.
Amount = Annotated[Decimal, BeforeValidator(_decimal), WithJsonSchema(AMOUNT_SCHEMA)]
