"""The per-refund hash chain: SHA-256 over a canonical encoding of each event.

Every refund event records `prev_hash`, the hash of the refund's previous event (GENESIS for
the first). Altering, removing or reordering a stored event breaks the chain at that place;
the checkpoint of chain heads (kept by the event store) covers the newest event.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any
from uuid import UUID

GENESIS = "0" * 64
UNCHAINED = ""  # the prev_hash of events stored before the chain existed


def canonical_json(value: Any) -> bytes:
    """One byte string per value: sorted keys, no spaces, UTF-8."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def chain_hash(
    refund_id: UUID | str,
    version: int,
    timestamp: datetime,
    event_type: str,
    payload: dict[str, Any],
    prev_hash: str,
) -> str:
    """The SHA-256 (hex) of one event's canonical encoding, its predecessor's hash included."""
    encoded = canonical_json(
        {
            "refund": str(refund_id),
            "version": version,
            "at": timestamp.isoformat(),
            "type": event_type,
            "payload": payload,
            "prev": prev_hash,
        }
    )
    return hashlib.sha256(encoded).hexdigest()


def event_hash(event: Any) -> str:
    """The chain hash of a refund event (anything with the attributes of one)."""
    return chain_hash(
        event.originator_id,
        event.originator_version,
        event.timestamp,
        type(event).__name__,
        event.payload.model_dump(mode="json"),
        event.prev_hash,
    )
