"""The `Idempotency-Key` of the command routes: how the OpenAPI document lists it, and how a
route reads it.

The routes read the header from the request rather than declaring a FastAPI `Header`
parameter, whose validation on every request cost more than recording the key (profiled); the
idempotency layer (api/idempotency.py) has refused a malformed key with 400 before a route
runs, and a route checks it again before it passes it on.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request

from api.middleware import header
from ledger.app import inputs
from ledger.app.keys import Keyed

KEY_HELP = (
    "Retrying with the same key returns the first response (letters, digits and . _ : / # -, "
    "at most 100)."
)
#: `**KEYED` in a route's decorator lists the header in the OpenAPI document.
KEYED: dict[str, Any] = {
    "openapi_extra": {
        "parameters": [
            {
                "description": KEY_HELP,
                "in": "header",
                "name": "Idempotency-Key",
                "required": False,
                "schema": {
                    "anyOf": [{"pattern": inputs.ID_PATTERN, "type": "string"}, {"type": "null"}],
                    "description": KEY_HELP,
                    "title": "Idempotency-Key",
                },
            }
        ]
    }
}


def key_of(request: Request) -> str | None:
    """The request's key as sent, or None."""
    return header(request.scope, b"idempotency-key")


def command_key(key: str | None) -> Keyed | None:
    """The key to pass to a command (None without one)."""
    return None if key is None else Keyed(inputs.identifier(key, "Idempotency-Key"))
