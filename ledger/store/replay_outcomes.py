"""What reserving an `Idempotency-Key` answers, and the fingerprint that tells two requests
with one key apart."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

RETRY_AFTER = 1  # seconds a retry is told to wait while the key's owner still runs it


@dataclass(frozen=True)
class StoredResponse:
    """A response as the client received it: status, headers (name, value) and the body."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes


@dataclass(frozen=True)
class Reserved:
    """The key is yours: run the command, then `complete()` or `release()`."""


@dataclass(frozen=True)
class Replay:
    """The request was answered before: return this response as it is."""

    response: StoredResponse


@dataclass(frozen=True)
class Mismatch:
    """The key was used for a different request (409)."""


@dataclass(frozen=True)
class InProgress:
    """The first request with this key is still running (409): retry after `retry_after` s."""

    retry_after: int = RETRY_AFTER


Outcome = Reserved | Replay | Mismatch | InProgress


def fingerprint(method: str, path: str, body: bytes) -> str:
    """The sha256 (hex) of the method, the path with its query and the body.

    A JSON body counts in its canonical form, so whitespace and key order do not matter.
    """
    digest = hashlib.sha256()
    for part in (method.upper().encode(), path.encode(), _canonical(body)):
        digest.update(len(part).to_bytes(8, "big"))  # lengths first: parts cannot run together
        digest.update(part)
    return digest.hexdigest()


def _canonical(body: bytes) -> bytes:
    """A JSON body with sorted keys and no spaces; any other body as it is.

    Canonical JSON is always valid JSON, so no raw body can take the form of a JSON one.
    """
    try:
        parsed = json.loads(body)
        return json.dumps(parsed, sort_keys=True, separators=(",", ":")).encode()
    except (ValueError, RecursionError):  # not JSON (or not UTF-8), or nested too deep
        return body
