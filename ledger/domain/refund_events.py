"""The events of a refund. Each carries one frozen pydantic payload (see events.py)."""

from __future__ import annotations

from typing import Any

from eventsourcing.domain import Aggregate

from ledger.domain import events as e
from ledger.domain.refund_apply import apply_payload


class Requested(Aggregate.Created):
    payload: e.RefundRequested


class RefundEvent(Aggregate.Event):
    payload: Any

    def apply(self, aggregate: Any) -> None:
        apply_payload(aggregate, self.payload, self.timestamp)


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
