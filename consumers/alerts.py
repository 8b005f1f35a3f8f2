"""Compliance alerts: which events raise one, and publishing stored alerts (an outbox).

Kinds: `fraud_flag` (Flagged), `dual_control_approval` (the Approved that completes a
dual-control approval: it names both approvers and is the decision that lets money move; the
first approval, ApprovalRecorded, decides nothing yet), `dispute_overturned` (DisputeResolved
with outcome overturned, and OverturnRouted: an overturn beyond what the resolver may approve
alone, waiting for approvers; its approval then raises what any approval raises),
`sla_escalation` (SlaBreached, and an Escalated whose rule is an SLA
rule; a person's own escalation is not an alert), `chain_break` (see chain_check.py),
`checkpoint_inconsistent` (the witness found the audit log shrunk or forked: witnessing.py;
no refund, the version is the tree size it was shown).

Publishing is at-least-once: alerts are marked published only after the broker acknowledged
them, so a crash between the two publishes them again; readers deduplicate by `alert_id`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from psycopg import sql

from consumers.compliance_schema import ALERTS
from ledger.projections.base import time_key
from ledger.store.tracking import ViewStore

logger = logging.getLogger(__name__)

KINDS = (
    "fraud_flag",
    "dual_control_approval",
    "dispute_overturned",
    "sla_escalation",
    "chain_break",
    "checkpoint_inconsistent",
)
DUAL_CONTROL = "approval.dual_control"
SLA_RULE_PREFIX = "sla."
PUBLISH_BATCH = 500


def event_alert(event_type: str, payload: dict[str, Any]) -> tuple[str, str] | None:
    """The (kind, detail) of the alert this event raises, or None."""
    rule = str(payload.get("rule", ""))
    match event_type:
        case "Flagged":
            return "fraud_flag", f"{rule}: {payload['detail']}"
        case "Approved" if rule == DUAL_CONTROL:
            approvers = " and ".join(payload["approvers"])
            return "dual_control_approval", f"{payload['amount']} approved by {approvers}"
        case "DisputeResolved" if payload["outcome"] == "overturned":
            amount = payload["amount"] or "the previous amount"
            detail = f"overturned by {payload['actor']} to {amount}: {payload['rationale']}"
            return "dispute_overturned", detail
        case "OverturnRouted":
            detail = (
                f"overturned by {payload['actor']} to {payload['amount']}, waiting for "
                f"{payload['approvals_required']} approval(s) at the {payload['tier']} tier "
                f"({rule}): {payload['rationale']}"
            )
            return "dispute_overturned", detail
        case "SlaBreached":
            detail = f"SLA breached at tier {payload['tier']}, pending since "
            return "sla_escalation", detail + f"{payload['pending_since']}"
        case "Escalated" if rule.startswith(SLA_RULE_PREFIX):
            detail = f"escalated {payload['from_tier']} -> {payload['to_tier']}"
            return "sla_escalation", f"{detail}: {payload['reason']}"
    return None


def alert_message(row: dict[str, Any]) -> dict[str, Any]:
    """One alert as published (and as `ledger compliance alerts --json` prints it)."""
    return {
        "alert_id": int(row["id"]),
        "kind": row["kind"],
        "refund_id": row["refund_id"],
        "version": int(row["version"]),
        "ce_id": row["ce_id"],
        "detail": row["detail"],
        "raised_at": row["raised_at"],
        "published_at": row.get("published_at"),
    }


def publish_pending(
    store: ViewStore,
    producer: Any,
    topic: str,
    clock: Callable[[], datetime],
    timeout: float = 10.0,
) -> int:
    """Send every unpublished alert, wait for the acks, mark the acknowledged ones published.

    Returns how many were published; one that failed stays pending for the next call.
    """
    published = 0
    while pending := _pending(store):
        sent = _send(producer, topic, pending)
        _flush(producer, timeout)
        acked = [alert_id for alert_id, future in sent if _acked(alert_id, future)]
        _mark(store, acked, time_key(clock()))
        published += len(acked)
        if len(acked) < len(pending):
            break
    return published


def _pending(store: ViewStore) -> list[dict[str, Any]]:
    statement = sql.SQL("SELECT * FROM {} WHERE published_at IS NULL ORDER BY id LIMIT %s")
    with store.reading() as db:
        return db.rows(statement.format(sql.Identifier(ALERTS)), (PUBLISH_BATCH,))


def _send(producer: Any, topic: str, pending: list[dict[str, Any]]) -> list[tuple[int, Any]]:
    """The futures of the sends; stops at a send refused at once (say, no broker reachable)."""
    sent: list[tuple[int, Any]] = []
    for row in pending:
        try:
            sent.append((int(row["id"]), producer.send(topic, **_record(row))))
        except Exception:  # the rest stay pending for the next call
            logger.exception("alert %s not sent; it stays pending", row["id"])
            break
    return sent


def _record(row: dict[str, Any]) -> dict[str, Any]:
    message = alert_message(row)
    del message["published_at"]
    headers = [
        ("alert_kind", str(row["kind"]).encode()),
        ("alert_id", str(row["id"]).encode()),
        ("content-type", b"application/json"),
    ]
    value = json.dumps(message, sort_keys=True, separators=(",", ":")).encode()
    return {"key": str(row["refund_id"]).encode(), "value": value, "headers": headers}


def _flush(producer: Any, timeout: float) -> None:
    """Wait for every send to be acknowledged or to fail, for at most `timeout` seconds."""
    try:
        producer.flush(timeout)
    except Exception:  # a send still unanswered counts as failed below
        logger.warning("alerts not all acknowledged within %s s", timeout)


def _acked(alert_id: int, future: Any) -> bool:
    """Whether the broker acknowledged the send (a failed one stays pending for next time)."""
    if future.is_done and future.succeeded():
        return True
    problem = future.exception if future.is_done else "no answer from the broker"
    logger.error("alert %s not published (%s); it stays pending", alert_id, problem)
    return False


def _mark(store: ViewStore, ids: list[int], when: str) -> None:
    if not ids:
        return
    statement = sql.SQL("UPDATE {} SET published_at = %s WHERE id IN ({})").format(
        sql.Identifier(ALERTS), sql.SQL(", ").join(sql.Placeholder() * len(ids))
    )
    with store.writing() as db:
        db.execute(statement, (when, *ids))
