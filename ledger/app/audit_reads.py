"""The reads of the audit log, part of the query service (`RefundQueries.audit`).

A checkpoint and a consistency proof hold only hashes: whoever may read refunds may read
them. An inclusion proof and a receipt speak of one refund, and a receipt carries its events
in their stored form: whoever may read that refund may have them (to a customer, another's
refund is not found). `ledger audit verify` runs as the operator at the CLI (viewer None).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from uuid import UUID

from ledger.app import access
from ledger.domain.errors import RefundNotFound

if TYPE_CHECKING:
    from ledger.app.service import RefundLedger
    from ledger.audit.chains import Report as ChainReport
    from ledger.audit.checkpoints import ConsistencyProof, InclusionProofs
    from ledger.audit.log import AuditLog
    from ledger.audit.log_check import LogReport
    from ledger.audit.note import Verifier
    from ledger.audit.receipt import Receipt
    from ledger.audit.views_check import ViewsReport
    from ledger.domain.actor import Actor
    from ledger.projections.runner import Projections


@dataclass(frozen=True)
class Verified:
    """`audit verify --checkpoint`: the log against the checkpoint, and the refund chains."""

    log: LogReport
    chains: ChainReport


class AuditReads:
    def __init__(
        self,
        ledger: RefundLedger,
        log: Callable[[], AuditLog],
        projections: Callable[[], Projections],
    ) -> None:
        self.ledger = ledger
        self._log = log
        self._projections = projections

    def checkpoint(self, viewer: Actor | None) -> str:
        """The latest signed checkpoint (a C2SP signed note)."""
        from ledger.audit.checkpoints import latest

        self._may_read(viewer)
        return latest(self._log())

    def inclusion(self, viewer: Actor | None, refund_id: UUID) -> InclusionProofs:
        """Each of the refund's events with its proof in the latest checkpoint."""
        from ledger.audit.checkpoints import inclusion

        if viewer is not None:  # the operator reads any refund: no need to load it
            self._readable(viewer, refund_id)
        found = inclusion(self._log(), refund_id)
        if (
            not found.proven
            and not found.pending
            and not self.ledger.recorder.select_events(refund_id, limit=1)
        ):
            raise RefundNotFound(refund_id)
        return found

    def consistency(
        self, viewer: Actor | None, old_size: int, old_root: bytes | None = None
    ) -> ConsistencyProof:
        """The proof that the latest checkpoint extends the tree of `old_size`."""
        from ledger.audit.checkpoints import consistency

        self._may_read(viewer)
        return consistency(self._log(), old_size, old_root)

    def receipt(self, viewer: Actor | None, refund_id: UUID) -> Receipt:
        from ledger.audit.receipt import make_receipt

        self._readable(viewer, refund_id)
        return make_receipt(self._log(), refund_id)

    def verify(self, checkpoint: str, key: Verifier) -> Verified:
        """The stored events against a checkpoint the caller kept (its signature checked
        with `key`, the caller's own copy), every refund chain in the same pass."""
        from ledger.audit.chains import ChainVerifier
        from ledger.audit.checkpoints import parse_checkpoint
        from ledger.audit.log_check import verify_log
        from ledger.audit.note import NoteError, open_note
        from ledger.audit.rows import checkpoint_of

        opened = open_note(checkpoint, [key])
        head = parse_checkpoint(opened.text)
        if head.origin != key.name:
            raise NoteError(f"the checkpoint is of {head.origin!r}, the key of {key.name!r}")
        chains = ChainVerifier(self.ledger.mapper.to_domain_event)

        def feed(row: Any) -> None:  # every refund event, in log order
            chains.feed(row)

        log = verify_log(self._log(), head, feed)
        return Verified(log, chains.finish(checkpoint_of(self.ledger)))

    def verify_views(self) -> ViewsReport:
        """Every read model rebuilt from the events, and every token row against its
        events."""
        from ledger.app.tokens import Tokens
        from ledger.audit.views_check import verify_views

        projections = self._projections()
        return verify_views(projections, Tokens(self.ledger, projections.store, self.ledger.clock))

    def _may_read(self, viewer: Actor | None) -> None:
        if viewer is not None:
            access.require_reader(viewer, "refunds")

    def _readable(self, viewer: Actor | None, refund_id: UUID) -> None:
        found = self.ledger.get(refund_id)  # RefundNotFound
        if viewer is not None:
            access.visible(viewer, found)
