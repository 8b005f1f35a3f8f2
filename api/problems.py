"""RFC 9457 problem details: one stable `type` per error, and no stack trace, ever."""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse

from ledger.audit.errors import IntegrityFailure, NoCheckpoint
from ledger.domain import errors

PROBLEM_JSON = "application/problem+json"
TYPE_PREFIX = "urn:refund-ledger:problem:"

# Domain errors by HTTP status; a subclass not listed takes its nearest listed base's status.
STATUS_BY_ERROR: tuple[tuple[type[errors.LedgerError], int], ...] = (
    (errors.RefundNotFound, 404),
    (NoCheckpoint, 404),
    (IntegrityFailure, 500),
    (errors.OrderNotFound, 404),
    (errors.RoleNotAllowed, 403),
    (errors.AuthorityExceeded, 403),
    (errors.SeparationOfDuties, 403),
    (errors.IllegalTransition, 409),
    (errors.ConcurrencyConflict, 409),
    (errors.IdempotencyConflict, 409),
    (errors.InvalidInput, 422),
    (errors.RefundError, 422),  # content the rules refuse: amount above refundable, ...
)

# Problems that are not domain errors: code -> (status, title)
TITLES: dict[str, tuple[int, str]] = {
    "invalid-token": (401, "Missing or invalid bearer token"),
    "not-found": (404, "No such resource"),
    "method-not-allowed": (405, "Method not allowed on this resource"),
    "malformed-body": (400, "The body cannot be parsed as JSON"),
    "invalid-idempotency-key": (400, "The Idempotency-Key header is not usable"),
    "idempotency-key-reused": (409, "Idempotency-Key already used for a different request"),
    "idempotency-in-progress": (409, "A request with this Idempotency-Key is still running"),
    "body-too-large": (413, "The body is larger than the server accepts"),
    "unsupported-media-type": (415, "The body's media type is not accepted here"),
    "invalid-input": (422, "The request's content is not valid"),
    "database-unavailable": (503, "The ledger's database cannot be reached"),
    "storage-unavailable": (507, "The ledger's database cannot store anything now"),
    "internal-error": (500, "Unexpected failure on the server"),
}


def status_for(error: errors.LedgerError) -> int:
    return status_of(type(error))


def status_of(kind: type[errors.LedgerError]) -> int:
    """The status of every error of class `kind`."""
    if kind.code in TITLES:  # an error of the HTTP layer's own (unsupported media type, ...)
        return TITLES[kind.code][0]
    for base, status in STATUS_BY_ERROR:
        if issubclass(kind, base):
            return status
    return 422


def problem(
    status: int,
    code: str,
    detail: str,
    request_id: str | None = None,
    title: str | None = None,
    **extra: Any,
) -> JSONResponse:
    """An `application/problem+json` response; `code` names the problem type."""
    body: dict[str, Any] = {
        "type": TYPE_PREFIX + code,
        "title": title or TITLES.get(code, (status, _title_from(code)))[1],
        "status": status,
        "detail": detail,
        "code": code,
    }
    if request_id:
        body["request_id"] = request_id
    body.update(extra)
    headers = {"WWW-Authenticate": 'Bearer realm="ledger"'} if status == 401 else None
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def from_error(error: errors.LedgerError, request_id: str | None) -> JSONResponse:
    """The problem of a domain error; a separation-of-duties refusal adds the extension
    member `rule`, the rule that refused (e.g. `separation.requester_verifies`)."""
    extra = {"rule": error.rule} if isinstance(error, errors.SeparationOfDuties) else {}
    return problem(status_for(error), error.code, error.message, request_id, **extra)


def named(code: str, detail: str, request_id: str | None = None, **extra: Any) -> JSONResponse:
    status, title = TITLES[code]
    return problem(status, code, detail, request_id, title, **extra)


def _title_from(code: str) -> str:
    return code.replace("-", " ").capitalize()
