"""The insider of issue 15: somebody with write access to the database who knows the code.

They edit a stored event, then recompute the refund's `prev_hash` chain with the ledger's own
function and rewrite the checkpoint of chain heads, so that the per-refund chains (today's
`audit verify`) hold again. What stays out of their reach is the key that signed a
checkpoint someone kept.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent

from ledger.app.service import RefundLedger
from ledger.domain.chain import GENESIS, event_hash
from ledger.store.recorders import CHECKPOINT_TABLE, state_digest

from .tamper import Tamper


def rewrite_refund(
    app: RefundLedger, tamper: Tamper, refund_id: UUID, edit: Callable[[int, bytes], bytes]
) -> None:
    """Edit the refund's stored events (`edit(version, state)`), re-link every `prev_hash`
    from the first event on, and put the new head in the checkpoint of chain heads."""
    previous, state = GENESIS, b""
    for row in app.recorder.select_events(refund_id):
        edited = StoredEvent(
            row.originator_id,
            row.originator_version,
            row.topic,
            edit(row.originator_version, row.state),
        )
        event: Any = app.mapper.to_domain_event(edited)
        relinked = dataclasses.replace(event, prev_hash=previous)
        state = app.mapper.to_stored_event(relinked).state
        tamper.set_state(refund_id, row.originator_version, state)
        previous = event_hash(relinked)
    version = len(app.recorder.select_events(refund_id))
    tamper._execute(
        f"UPDATE {CHECKPOINT_TABLE} SET version = ?, state_sha256 = ? WHERE originator_id = ?",
        version,
        state_digest(state),
        str(refund_id),
    )


def replacing(version: int, old: str, new: str) -> Callable[[int, bytes], bytes]:
    """An edit of one version's state: `old` text becomes `new`."""

    def edit(at: int, state: bytes) -> bytes:
        if at != version:
            return state
        assert old.encode() in state, state
        return state.replace(old.encode(), new.encode())

    return edit
