"""JSON Schemas of the CloudEvents bodies, one per event type and version, from the models.

`ledger schemas export --force` writes them to `schemas/` (the CLI writes the files); a test
fails when the checked-in files differ from what the models generate now. Files of older
versions stay for consumers that read older messages.
"""

from __future__ import annotations

import json
from typing import Any, get_type_hints

from pydantic import BaseModel
from pydantic.json_schema import GenerateJsonSchema
from pydantic_core import core_schema

from ledger.kafka.cloudevents import PUBLISHED_EVENTS, event_type, schema_version

DIALECT = "https://json-schema.org/draft/2020-12/schema"
HEX_SHA256 = "^[0-9a-f]{64}$"
DECIMAL_STRING = r"^-?[0-9]+(\.[0-9]+)?$"


class _BodyJsonSchema(GenerateJsonSchema):
    """Pydantic's serialization schema, with decimals as the plain strings they dump to."""

    def decimal_schema(self, schema: core_schema.DecimalSchema) -> dict[str, Any]:
        return {"type": "string", "pattern": DECIMAL_STRING}


def payload_model(event_class: type[Any]) -> type[BaseModel]:
    """The pydantic model of the event's `payload` attribute."""
    model = get_type_hints(event_class)["payload"]
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        raise TypeError(f"{event_class.__name__}.payload is not a pydantic model")
    return model


def body_schema(event_class: type[Any]) -> dict[str, Any]:
    """The schema of `event_body` for one event class."""
    model = payload_model(event_class)
    payload = model.model_json_schema(mode="serialization", schema_generator=_BodyJsonSchema)
    defs = {**payload.pop("$defs", {}), model.__name__: payload}
    properties: dict[str, Any] = {
        "refund_id": {"type": "string", "format": "uuid"},
        "version": {"type": "integer", "minimum": 1},
        "type": {"const": event_class.__name__},
        "schema_version": {"const": schema_version(event_class)},
        "at": {"type": "string", "format": "date-time"},
        "prev_hash": {
            "description": "The previous event's hash; 64 zeros first; empty if unchained.",
            "type": "string",
            "pattern": "^([0-9a-f]{64})?$",
        },
        "hash": {
            "description": "SHA-256 of this event (ledger/domain/chain.py).",
            "type": "string",
            "pattern": HEX_SHA256,
        },
        "payload": {"$ref": f"#/$defs/{model.__name__}"},
    }
    return {
        "$schema": DIALECT,
        "title": event_type(event_class),
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
        "$defs": dict(sorted(defs.items())),
    }


def generate() -> dict[str, str]:
    """File name -> content of every current schema."""
    return {
        f"{event_type(cls)}.json": json.dumps(body_schema(cls), indent=2) + "\n"
        for cls in PUBLISHED_EVENTS
    }
