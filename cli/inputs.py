"""The application's command models filled from a command's options."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from ledger.app.fields import PARSE_FIRST
from ledger.domain.errors import InvalidInput

M = TypeVar("M", bound=BaseModel)


def fill(model: type[M], **options: Any) -> M:
    """The model of the options given (an option left out, None, takes the model's default).

    The fields parse what was typed first (`PARSE_FIRST`: ledger/app/fields.py) and refuse
    it with the same message as for any interface; a shape refused by pydantic alone (too
    many items) is one InvalidInput naming the field (cli/errors.py words it as the
    option)."""
    given = {name: value for name, value in options.items() if value is not None}
    try:
        return model.model_validate(given, context=PARSE_FIRST)
    except ValidationError as error:
        first = error.errors()[0]
        field = str(first["loc"][0]) if first["loc"] else "value"
        raise InvalidInput.about(field, f"{{field}}: {first['msg']}") from None
