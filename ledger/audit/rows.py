"""`audit verify` on the event store: every refund chain, then the checkpoint of chain heads."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Protocol, cast
from uuid import UUID

from eventsourcing.persistence import StoredEvent

from ledger.audit.chains import Break, ChainVerifier, Checkpoint, Report
from ledger.domain.errors import LedgerError, RefundNotFound
from ledger.store.recorders import CHAINED_TOPICS

if TYPE_CHECKING:
    from ledger.app.service import RefundLedger

PAGE = 1000


class CheckpointRecorder(Protocol):
    def select_checkpoint(self) -> dict[str, tuple[int, str]]: ...


def checkpoint_of(app: RefundLedger) -> Checkpoint:
    recorder = app.recorder
    if not hasattr(recorder, "select_checkpoint"):
        raise LedgerError(f"{type(recorder).__name__} keeps no checkpoint of chain heads")
    return cast(CheckpointRecorder, recorder).select_checkpoint()


def refund_rows(app: RefundLedger) -> Iterator[StoredEvent]:
    """Every stored refund event, in notification-log order, undecoded."""
    topics = sorted(CHAINED_TOPICS)
    start = 0
    while page := app.recorder.select_notifications(
        start=start, limit=PAGE, topics=topics, inclusive_of_start=False
    ):
        yield from page
        start = page[-1].id


def rows_of(app: RefundLedger, refund_ids: Sequence[UUID]) -> Iterator[StoredEvent]:
    """The stored events of the given refunds, each refund's in version order."""
    checkpoint = checkpoint_of(app)
    for refund_id in refund_ids:
        rows = app.recorder.select_events(refund_id)
        if not rows and str(refund_id) not in checkpoint:
            raise RefundNotFound(refund_id)
        yield from rows


def verify_store(app: RefundLedger) -> Report:
    """Check every refund's chain and the checkpoint; the report names each broken place."""
    verifier = ChainVerifier(app.mapper.to_domain_event)
    for row in refund_rows(app):
        verifier.feed(row)
    report = verifier.finish(checkpoint_of(app))
    if report.intact:
        return report
    # A refund written to between the scan and the checkpoint read looks broken: look again.
    checkpoint = checkpoint_of(app)
    breaks = [
        again
        for b in report.breaks
        if (again := _recheck(app, b.refund_id, checkpoint) if b.at_head else b)
    ]
    return Report(report.refunds, report.events, breaks)


def _recheck(app: RefundLedger, refund_id: str, checkpoint: Checkpoint) -> Break | None:
    verifier = ChainVerifier(app.mapper.to_domain_event)
    for row in app.recorder.select_events(UUID(refund_id)):
        verifier.feed(row)
    head = {refund_id: checkpoint[refund_id]} if refund_id in checkpoint else {}
    found = verifier.finish(head).breaks
    return found[0] if found else None
