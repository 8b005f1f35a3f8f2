"""The events of a refund. Each carries one frozen pydantic payload (see events.py) and the
hash of the refund's previous event (see chain.py)."""

from __future__ import annotations

from typing import Any

from eventsourcing.domain import Aggregate

from ledger.domain import payloads as e
from ledger.domain.chain import UNCHAINED
from ledger.domain.refund_apply import apply_payload


class Requested(Aggregate.Created):
    payload: e.RefundRequested
    prev_hash: str  # chain.GENESIS: nothing comes before a request

    class_version = 2  # version 1 had no prev_hash

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        state["prev_hash"] = UNCHAINED

    def apply(self, aggregate: Any) -> None:
        aggregate.newest_event = self  # its hash (chain_head) is computed when needed


class RefundEvent(Aggregate.Event):
    payload: Any
    prev_hash: str  # the chain hash of the refund's previous event

    class_version = 2  # version 1 had no prev_hash

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        state["prev_hash"] = UNCHAINED

    def apply(self, aggregate: Any) -> None:
        apply_payload(aggregate, self.payload, self.timestamp)
        aggregate.newest_event = self  # its hash (chain_head) is computed when needed


class Flagged(RefundEvent):
    payload: e.FraudFlagged


class Verified(RefundEvent):
    payload: e.RefundVerified


class RoutedForApproval(RefundEvent):
    payload: e.RoutedForApproval


class ApprovalRecorded(RefundEvent):
    payload: e.ApprovalRecorded


class Approved(RefundEvent):
    payload: e.RefundApproved


class Rejected(RefundEvent):
    payload: e.RefundRejected


class Escalated(RefundEvent):
    payload: e.RefundEscalated


class SlaBreached(RefundEvent):
    payload: e.SlaBreached


class Cancelled(RefundEvent):
    payload: e.RefundCancelled


class PayoutStarted(RefundEvent):
    payload: e.PayoutStarted


class PayoutSettled(RefundEvent):
    payload: e.PayoutSettled


class PayoutFailed(RefundEvent):
    payload: e.PayoutFailed


class DisputeOpened(RefundEvent):
    payload: e.DisputeOpened


class DisputeResolved(RefundEvent):
    payload: e.DisputeResolved


class NoteAdded(RefundEvent):
    payload: e.NoteAdded


class OverturnRouted(RefundEvent):
    payload: e.OverturnRouted


class OverturnRejected(RefundEvent):
    payload: e.OverturnRejected


class CustomerNoteAdded(RefundEvent):
    payload: e.CustomerNoteAdded


CHAINED_EVENTS: tuple[type[Aggregate.Event], ...] = (
    Requested,
    Flagged,
    Verified,
    RoutedForApproval,
    ApprovalRecorded,
    Approved,
    Rejected,
    Escalated,
    SlaBreached,
    Cancelled,
    PayoutStarted,
    PayoutSettled,
    PayoutFailed,
    DisputeOpened,
    DisputeResolved,
    NoteAdded,
    OverturnRouted,
    OverturnRejected,
    CustomerNoteAdded,
)
NOTE_VISIBILITY: dict[type[Aggregate.Event], str] = {
    NoteAdded: "internal",
    CustomerNoteAdded: "customer",
}
