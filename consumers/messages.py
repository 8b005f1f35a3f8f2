"""What a consumer receives: one CloudEvent from `refunds.events`, checked and decoded.

`Delivered` is a message that passed every check (CloudEvents headers, JSON body, a known
type, its JSON Schema); a message that fails one is `Undeliverable` and goes to the
dead-letter topic with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


class Undeliverable(Exception):
    """A message no consumer can process: bad headers or JSON, unknown type, schema violation."""


@dataclass(frozen=True)
class Delivered:
    """One valid refund event as a consumer sees it."""

    source: str  # ce_source
    id: str  # ce_id: "REFUND_ID:VERSION"; (source, id) is the dedupe key
    type: str  # ce_type, e.g. "refunds.Approved.v2"
    subject: str  # ce_subject: the refund id
    time: datetime  # ce_time
    body: dict[str, Any]  # the JSON body (see ledger.kafka.cloudevents.event_body)
    topic: str = ""
    partition: int = 0
    offset: int = 0

    @property
    def event_type(self) -> str:
        """The event's class name, e.g. "Approved" (the body's `type`)."""
        return str(self.body["type"])

    @property
    def refund_id(self) -> str:
        return str(self.body["refund_id"])

    @property
    def version(self) -> int:
        return int(self.body["version"])

    @property
    def payload(self) -> dict[str, Any]:
        return dict(self.body["payload"])
