"""Which refund events raise a compliance alert, and what breaks a chain (no I/O)."""

from __future__ import annotations

from typing import Any

from consumers.alerts import event_alert
from consumers.chain_check import Head, chain_problems, recomputed_hash
from ledger.domain.chain import GENESIS, UNCHAINED
from ledger.kafka.cloudevents import event_body

from .builders import MANAGER, POLICY, actor, at, pending_refund

DECISION = {"actor": "system:policy", "policy_version": "p1"}


def test_only_the_approval_that_completes_dual_control_raises_an_alert() -> None:
    first = {**DECISION, "rule": "approval.dual_control", "amount": "6000.00"}
    final = {**first, "approvers": ["finance:fay", "finance:fred"]}

    assert event_alert("ApprovalRecorded", first) is None
    assert event_alert("Approved", final) == (
        "dual_control_approval",
        "6000.00 approved by finance:fay and finance:fred",
    )
    assert event_alert("Approved", {**final, "rule": "approval.manual"}) is None


def test_escalations_raise_an_alert_only_when_the_sla_rule_made_them() -> None:
    escalated = {**DECISION, "reason": "waited", "from_tier": "manager", "to_tier": "finance"}

    assert event_alert("Escalated", {**escalated, "rule": "sla.pending_approval_hours"}) == (
        "sla_escalation",
        "escalated manager -> finance: waited",
    )
    assert event_alert("Escalated", {**escalated, "rule": "escalation.manual"}) is None


def test_an_upheld_dispute_raises_no_alert() -> None:
    resolved = {**DECISION, "rule": "dispute.upheld", "rationale": "fine", "amount": None}

    assert event_alert("DisputeResolved", {**resolved, "outcome": "upheld"}) is None


def test_an_overturn_waiting_for_approval_raises_a_dispute_overturned_alert() -> None:
    routed = {
        **DECISION,
        "actor": "disputes:dana",
        "rule": "approval.limits.disputes",
        "rationale": "proof attached",
        "amount": "20000.00",
        "tier": "finance",
        "approvals_required": 2,
        "previous_status": "rejected",
    }

    assert event_alert("OverturnRouted", routed) == (
        "dispute_overturned",
        "overturned by disputes:dana to 20000.00, waiting for 2 approval(s) at the finance tier "
        "(approval.limits.disputes): proof attached",
    )


def test_a_rejected_overturn_raises_no_alert() -> None:
    rejected = {**DECISION, "rule": "rejection.overturn", "reason": "no", "amount": "1.00"}

    assert event_alert("OverturnRejected", {**rejected, "restored_status": "paid"}) is None


def bodies() -> list[dict[str, Any]]:
    refund = pending_refund()
    refund.approve(actor(MANAGER), None, None, POLICY, at(1))
    return [event_body(event) for event in refund.pending_events]


def test_a_chain_built_by_the_domain_continues_event_by_event() -> None:
    head = None
    for body in bodies():
        assert chain_problems(head, body) == []
        head = Head(body["version"], body["hash"])


def test_a_first_event_must_start_the_chain_from_genesis() -> None:
    first = bodies()[0]
    assert first["prev_hash"] == GENESIS
    legacy = {**first, "prev_hash": UNCHAINED}

    assert chain_problems(None, legacy)[0] == "no prev_hash: stored before the hash chain existed"
    assert chain_problems(Head(1, first["hash"]), first) == [
        "version gap: expected version 2, got 1"
    ]


def test_the_hash_covers_time_type_and_payload() -> None:
    body = bodies()[1]
    for changed in ({"at": "2025-03-03T09:00:01+00:00"}, {"type": "Rejected"}):
        assert recomputed_hash({**body, **changed}) != body["hash"]
    assert recomputed_hash(body) == body["hash"]


def test_events_from_before_the_chain_are_reported_once_per_refund() -> None:
    first, second, *_ = ({**body, "prev_hash": UNCHAINED} for body in bodies())
    first["hash"], second["hash"] = recomputed_hash(first), recomputed_hash(second)

    assert chain_problems(None, first) == ["no prev_hash: stored before the hash chain existed"]
    assert chain_problems(Head(1, first["hash"], unchained=True), second) == []
