"""Rejection, escalation to a higher tier, and the SLA sweep."""

from __future__ import annotations

from decimal import Decimal

from ledger.domain import payloads as e
from ledger.domain.actor import SYSTEM_POLICY
from ledger.domain.errors import (
    AuthorityExceeded,
    IllegalTransition,
    RefundError,
    RoleNotAllowed,
    SeparationOfDuties,
)

from .builders import (
    FINANCE,
    MANAGER,
    POLICY,
    actor,
    approved_refund,
    at,
    event_types,
    new_refund,
    payload,
    pending_refund,
    refused,
)


def test_manager_rejects_a_pending_refund_with_a_reason() -> None:
    refund = pending_refund("200.00")

    refund.reject(actor(MANAGER), "no proof of purchase", POLICY, at(1))

    assert refund.status == "rejected"
    assert refund.reserved_amount() == Decimal(0)
    assert "mia" in refund.deciders
    rejected = payload(refund, e.RefundRejected)
    assert (rejected.reason, rejected.rule) == ("no proof of purchase", "rejection.manual")
    assert rejected.policy_version == POLICY.version


def test_refund_awaiting_verification_can_be_rejected() -> None:
    refund = new_refund("200.00", reason="damaged")

    refund.reject(actor(FINANCE), "duplicate of another request", POLICY, at(1))

    assert refund.status == "rejected"


def test_requester_cannot_reject_own_request() -> None:
    refund = pending_refund("200.00", requester="agent:mia")

    with refused(refund, SeparationOfDuties, "somebody else must reject it"):
        refund.reject(actor(MANAGER), "changed my mind", POLICY, at(1))


def test_cannot_reject_an_approved_refund() -> None:
    refund = approved_refund("200.00")

    with refused(refund, IllegalTransition, "cannot reject a refund that is approved"):
        refund.reject(actor("manager:max"), "too late", POLICY, at(2))


def test_agent_cannot_reject() -> None:
    refund = pending_refund("200.00")

    with refused(refund, RoleNotAllowed, "agent:amy may not reject a refund"):
        refund.reject(actor("agent:amy"), "no", POLICY, at(1))


def test_auditor_cannot_reject() -> None:
    refund = pending_refund("200.00")

    with refused(refund, RoleNotAllowed, "auditor:ann may not reject a refund"):
        refund.reject(actor("auditor:ann"), "no", POLICY, at(1))


def test_escalation_moves_a_request_to_the_next_tier() -> None:
    refund = pending_refund("200.00")

    refund.escalate(actor("agent:amy"), "customer is waiting", POLICY, at(5))

    assert refund.tier == "finance"
    assert refund.status == "pending_approval"
    assert refund.pending_since == at(5)
    escalated = payload(refund, e.RefundEscalated)
    assert (escalated.from_tier, escalated.to_tier) == ("manager", "finance")
    assert escalated.rule == "escalation.manual"


def test_manager_cannot_approve_after_escalation_to_finance() -> None:
    refund = pending_refund("200.00")
    refund.escalate(actor("agent:amy"), "customer is waiting", POLICY, at(1))

    with refused(refund, AuthorityExceeded, "waits at the finance tier"):
        refund.approve(actor(MANAGER), None, None, POLICY, at(2))


def test_cannot_escalate_beyond_the_highest_tier() -> None:
    refund = pending_refund("2000.00")

    with refused(refund, RefundError, "already at the highest tier (finance)"):
        refund.escalate(actor("agent:amy"), "hurry", POLICY, at(1))


def test_cannot_escalate_a_refund_that_is_not_pending() -> None:
    refund = approved_refund("200.00")

    with refused(refund, IllegalTransition, "cannot escalate a refund that is approved"):
        refund.escalate(actor("agent:amy"), "hurry", POLICY, at(2))


def test_verifier_cannot_escalate() -> None:
    refund = pending_refund("200.00")

    with refused(refund, RoleNotAllowed, "verifier:vic may not escalate a refund"):
        refund.escalate(actor("verifier:vic"), "hurry", POLICY, at(1))


def test_auditor_cannot_escalate() -> None:
    refund = pending_refund("200.00")

    with refused(refund, RoleNotAllowed, "auditor:ann may not escalate a refund"):
        refund.escalate(actor("auditor:ann"), "hurry", POLICY, at(1))


def test_sla_sweep_does_nothing_within_48h() -> None:
    refund = pending_refund("200.00")
    version = refund.version

    assert not refund.sla_action_due(POLICY, at(47.9))
    refund.sweep_sla(POLICY, at(47.9))

    assert refund.version == version
    assert refund.tier == "manager"


def test_sla_sweep_escalates_after_48h() -> None:
    refund = pending_refund("200.00")

    assert refund.sla_action_due(POLICY, at(48.1))
    refund.sweep_sla(POLICY, at(48.1))

    assert refund.tier == "finance"
    escalated = payload(refund, e.RefundEscalated)
    assert escalated.actor == str(SYSTEM_POLICY)
    assert escalated.rule == "sla.pending_approval_hours"
    assert escalated.reason == (
        f"waited more than 48 hours for approval (as of {at(48.1).isoformat()})"
    )


def test_sla_clock_restarts_after_escalation() -> None:
    refund = pending_refund("200.00")
    refund.sweep_sla(POLICY, at(49))
    version = refund.version

    refund.sweep_sla(POLICY, at(49 + 47))

    assert refund.version == version
    assert not refund.sla_action_due(POLICY, at(49 + 47))


def test_sla_sweep_records_breach_once_at_top_tier() -> None:
    refund = pending_refund("2000.00")

    refund.sweep_sla(POLICY, at(49))
    refund.sweep_sla(POLICY, at(100))

    assert event_types(refund).count("SlaBreached") == 1
    assert refund.tier == "finance"
    breach = payload(refund, e.SlaBreached)
    assert breach.tier == "finance"
    assert breach.rule == "sla.pending_approval_hours"
    assert not refund.sla_action_due(POLICY, at(200))


def test_sla_sweep_escalates_then_records_breach_at_top_tier() -> None:
    refund = pending_refund("200.00")

    refund.sweep_sla(POLICY, at(49))
    refund.sweep_sla(POLICY, at(98))

    assert event_types(refund)[-2:] == ["Escalated", "SlaBreached"]


def test_sla_sweep_ignores_refunds_that_are_not_pending() -> None:
    refund = approved_refund("200.00")
    version = refund.version

    refund.sweep_sla(POLICY, at(500))

    assert not refund.sla_action_due(POLICY, at(500))
    assert refund.version == version


def test_manager_cannot_reject_a_refund_at_the_finance_tier() -> None:
    refund = pending_refund("2500.00")

    with refused(refund, AuthorityExceeded, "waits at the finance tier; manager may not reject"):
        refund.reject(actor(MANAGER), "too much", POLICY, at(1))


def test_manager_cannot_reject_an_unverified_request_above_their_limit() -> None:
    refund = new_refund("2500.00", reason="damaged")

    with refused(refund, AuthorityExceeded, "finance tier"):
        refund.reject(actor(MANAGER), "too much", POLICY, at(1))


def test_finance_rejects_a_refund_at_the_finance_tier() -> None:
    refund = pending_refund("2500.00")

    refund.reject(actor(FINANCE), "no proof of purchase", POLICY, at(1))

    assert refund.status == "rejected"


def test_sla_is_not_breached_at_exactly_48h() -> None:
    refund = pending_refund("200.00")
    assert refund.pending_since is not None
    hours_waited = (refund.pending_since - at(0)).total_seconds() / 3600

    assert not refund.sla_action_due(POLICY, at(hours_waited + 48))
    assert refund.sla_action_due(POLICY, at(hours_waited + 48.001))


def test_sla_sweep_judged_for_a_later_moment_stamps_events_with_the_real_time() -> None:
    refund = pending_refund("200.00")
    later = at(500)

    refund.sweep_sla(POLICY, later, at=at(1))

    escalated = payload(refund, e.RefundEscalated)
    assert refund.pending_events[-1].timestamp == at(1)
    assert later.isoformat() in escalated.reason
