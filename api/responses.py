"""The problem responses each kind of route documents in the OpenAPI document."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from api.problems import PROBLEM_JSON, TYPE_PREFIX


class Problem(BaseModel):
    """RFC 9457 problem details; `code` is the last part of `type`."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(examples=[TYPE_PREFIX + "illegal-transition"])
    title: str
    status: int
    detail: str
    code: str
    request_id: str | None = None


def _problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    words = {
        400: "Malformed body or Idempotency-Key",
        401: "Missing, malformed, unknown, expired or revoked bearer token",
        403: "The actor's role, authority or a separation-of-duties rule forbids it",
        404: "No such refund or order (or, to a customer, not theirs)",
        409: "The refund's state forbids it, or the Idempotency-Key was used otherwise",
        413: "The body is over 64 KiB",
        415: "The body's media type is not accepted",
        422: "A value is not valid, or a rule refuses the content",
        503: "The database cannot be reached (or did not answer in time)",
        507: "The database's storage is full, or the database is read-only",
    }
    return {
        status: {
            "description": words[status],
            "model": Problem,
            "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for status in statuses
    }


# On the reads that answer from a view (caught up first, or as it stands when it cannot be)
VIEW_LAG: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "Successful Response",
        "headers": {
            "X-View-Lag": {
                "description": "Stored events the view has not seen: 0 once caught up; more "
                "when the database takes no writes (disk full, read-only), so that the answer "
                "comes from the view as it stands.",
                "schema": {"type": "integer", "minimum": 0},
            }
        },
    }
}

COMMAND_PROBLEMS = _problems(400, 401, 403, 404, 409, 413, 422, 503, 507)
READ_PROBLEMS = _problems(401, 403, 404, 422, 503)
