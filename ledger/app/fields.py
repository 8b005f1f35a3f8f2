"""The fields of the command models (commands.py): each type parses what a person typed
with the functions of inputs.py, so the CLI and the API refuse the same input with the same
message, and documents its shape (the API's schema) with `Field` constraints.

A value of the wrong JSON type (a number for a string) is left to pydantic, which refuses it
(the models are strict). A string of a length outside its schema is refused as the schema
says (pydantic's message), then parsed; the CLI, which has always parsed what was typed
first (its messages), validates with `PARSE_FIRST`.
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
MAX_CURRENCY = 10
#: The validation context of text typed at the CLI: parsed as it is, lengths and all.
PARSE_FIRST: dict[str, Any] = {"parse_first": True}


def parse_first(info: ValidationInfo) -> bool:
    return bool(info.context and info.context.get("parse_first"))


def check_length(value: str, info: ValidationInfo, shortest: int, longest: int) -> None:
    """Refuse a string of a length outside its schema, as pydantic words it."""
    if parse_first(info):
        return
    if len(value) < shortest:
        raise PydanticKnownError("string_too_short", {"min_length": shortest})
    if len(value) > longest:
        raise PydanticKnownError("string_too_long", {"max_length": longest})


def _strings(
    parse: Callable[[str, str], Any], shortest: int = 1, longest: int = 100
) -> BeforeValidator:
    """Parse a string with `parse(text, field_name)`; leave anything else to pydantic."""

    def check(value: Any, info: ValidationInfo) -> Any:
        if not isinstance(value, str):
            return value
        check_length(value, info, shortest, longest)
        return parse(value, info.field_name or "value")

    return BeforeValidator(check)


def _words(field: str) -> str:
    return field.replace("_", " ")


def to_parse(value: Any, info: ValidationInfo, longest: int = MAX_DECIMAL) -> bool:
    """Whether a model's own validator should parse `value` (a currency, an amount in it): a
    string of a length within its schema (at the CLI any string); anything else is left to
    the field, which refuses it."""
    if not isinstance(value, str):
        return False
    return parse_first(info) or 1 <= len(value) <= longest


def _decimal(value: Any, info: ValidationInfo) -> Any:
    """A decimal string (a JSON number is refused: it would be a float on the way)."""
    if isinstance(value, Decimal):
        return value
    if not isinstance(value, str):
        raise PydanticKnownError("string_type")
    check_length(value, info, 1, MAX_DECIMAL)
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
    _strings(lambda text, field: inputs.text(text, field, field), longest=inputs.MAX_TEXT),
    Field(min_length=1, max_length=inputs.MAX_TEXT),
]
# A request's texts: their messages have always named them in words ("note contains ..."),
# in `ledger request` too, where the other commands name the option ("--note contains ...").
RequestText = Annotated[
    str,
    _strings(lambda text, field: inputs.text(text, _words(field)), longest=inputs.MAX_TEXT),
    Field(min_length=1, max_length=inputs.MAX_TEXT),
]
Line = Annotated[
    str,
    _strings(lambda text, field: inputs.single_line(text, field, field), longest=inputs.MAX_TEXT),
    Field(min_length=1, max_length=inputs.MAX_TEXT),
]
Currency = Annotated[
    str,
    _strings(lambda text, field: parse_currency(text), longest=MAX_CURRENCY),
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
    _strings(lambda text, field: inputs.day(text, "purchase date", field), 0, 40),
    WithJsonSchema({"type": "string", "maxLength": 40, "description": "YYYY-MM-DD"}),
]
# A positive amount whose currency is the refund's: its decimals are checked against it there.
Amount = Annotated[Decimal, BeforeValidator(_decimal), WithJsonSchema(AMOUNT_SCHEMA)]
