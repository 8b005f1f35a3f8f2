"""The line a person reads first about one event: what the decision-trail view stores and
`ledger history` prints. Pure text from an event's fields, for every layer above."""

from __future__ import annotations

from typing import Any

_SUMMARY_SKIP = frozenset({"version", "type", "actor", "at", "fingerprint", "findings", "items"})


def event_summary(event: dict[str, Any], also_skip: frozenset[str] = frozenset()) -> str:
    """The fields of an event (as `ledger.app.presenters.event_out` gives it) that a person reads
    first."""
    skip = _SUMMARY_SKIP | also_skip
    parts = [
        f"{key}={value}"
        for key, value in event.items()
        if key not in skip and value not in (None, [], "")
    ]
    failed = [f["check"] for f in event.get("findings", []) if not f["passed"]]
    if failed:
        parts.append(f"failed={','.join(failed)}")
    return "; ".join(parts)
