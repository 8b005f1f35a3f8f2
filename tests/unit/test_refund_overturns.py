"""An overturn is an approval: beyond what its resolver may approve alone it waits for
approvers, under the ordinary approval rules, and only newcomers may decide it."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ledger.domain import payloads as e
from ledger.domain.errors import (
    AuthorityExceeded,
    IllegalTransition,
    InvalidDecision,
    RoleNotAllowed,
    SeparationOfDuties,
)
from ledger.domain.policy import Policy
from ledger.domain.refund import Refund

from .builders import (
    POLICY,
    actor,
    at,
    event_types,
    payload,
    pending_refund,
    policy_with,
    refused,
)

DANA = "disputes:dana"


def rejected(amount: str, by: str = "finance:fred", requester: str = "agent:bob") -> Refund:
    refund = pending_refund(amount, requester=requester, order_total="50000.00")
    refund.reject(actor(by), "no proof", POLICY, at(1))
    return refund


def overturned(
    refund: Refund,
    amount: str,
    *,
    opener: str = "customer:c-1",
    resolver: str = DANA,
    policy: Policy = POLICY,
) -> Refund:
    refund.open_dispute(actor(opener), "proof attached", policy, at(10))
    refund.resolve_dispute(actor(resolver), "overturned", Decimal(amount), "valid", policy, at(11))
    return refund


def routed_20000() -> Refund:
    """The issue's case: 20,000.00 rejected by finance:fred, overturned by disputes:dana."""
    return overturned(rejected("20000.00"), "20000.00")


# --- when an overturn waits ---


def test_overturn_above_the_resolvers_limit_waits_at_the_tier_its_amount_needs() -> None:
    refund = routed_20000()

    assert (refund.status, refund.tier, refund.approvals_required) == (
        "pending_approval",
        "finance",
        2,
    )
    assert (refund.approved_amount, refund.paid_amount) == (None, None)
    assert refund.reserved_amount() == Decimal("20000.00")
    assert refund.last_rule == "approval.limits.disputes"
    routed = payload(refund, e.OverturnRouted)
    assert routed.model_dump(mode="json") == {
        "actor": DANA,
        "policy_version": POLICY.version,
        "rule": "approval.limits.disputes",
        "rationale": "valid",
        "amount": "20000.00",
        "tier": "finance",
        "approvals_required": 2,
        "previous_status": "rejected",
    }
    assert "DisputeResolved" not in event_types(refund)


def test_overturn_within_the_resolvers_limit_is_approved_at_once() -> None:
    refund = overturned(rejected("1000.00", by="manager:alice"), "1000.00")

    assert (refund.status, refund.approved_amount) == ("approved", Decimal("1000.00"))
    assert payload(refund, e.DisputeResolved).amount == Decimal("1000.00")


def test_one_cent_above_the_resolvers_limit_waits_at_the_finance_tier() -> None:
    refund = overturned(rejected("1000.01"), "1000.01")

    assert (refund.status, refund.tier, refund.approvals_required) == (
        "pending_approval",
        "finance",
        1,
    )


def test_overturn_above_dual_control_waits_even_within_the_resolvers_limit() -> None:
    generous = policy_with(approval={"limits": {"disputes": Decimal("8000.00")}})
    refund = overturned(rejected("6000.00"), "6000.00", policy=generous)

    assert (refund.status, refund.last_rule, refund.approvals_required) == (
        "pending_approval",
        "approval.dual_control",
        2,
    )


def test_overturn_above_the_two_approvers_threshold_waits_for_finance() -> None:
    generous = policy_with(approval={"limits": {"disputes": Decimal("50000.00")}})
    refund = overturned(rejected("20000.00"), "20000.00", policy=generous)

    assert (refund.status, refund.tier) == ("pending_approval", "finance")
    assert refund.last_rule == "approval.two_approvers_above"


def test_a_policy_without_the_rule_lets_the_resolver_approve_any_overturn_alone() -> None:
    relaxed = policy_with(separation={"resolver_approves_alone": False})
    refund = overturned(rejected("20000.00"), "20000.00", policy=relaxed)

    assert (refund.status, refund.approved_amount) == ("approved", Decimal("20000.00"))


def test_the_disputes_limit_gives_no_right_to_approve_an_ordinary_refund() -> None:
    refund = pending_refund("100.00")

    with refused(refund, RoleNotAllowed, "disputes:dana may not approve a refund"):
        refund.approve(actor(DANA), None, None, POLICY, at(1))


# --- while it waits ---


def test_no_payout_starts_while_the_overturn_waits() -> None:
    refund = routed_20000()

    with refused(refund, IllegalTransition, "that is pending_approval"):
        refund.start_payout(actor("finance:pat"), None, POLICY, at(12))


def test_resolver_cannot_approve_their_own_overturn_under_the_finance_role() -> None:
    refund = routed_20000()

    with refused(
        refund,
        SeparationOfDuties,
        "finance:dana took part in this refund before (requested, approved, rejected, disputed "
        "or overturned it); somebody else must approve the overturn "
        "(rule separation.participant_decides_overturn)",
    ):
        refund.approve(actor("finance:dana"), None, None, POLICY, at(12))


@pytest.mark.parametrize(
    ("approver", "rule"),
    [
        ("finance:fred", "separation.participant_decides_overturn"),  # rejected it before
        ("finance:eve", "separation.participant_decides_overturn"),  # opened the dispute
        ("finance:bob", "separation.requester_decides"),  # requested it
    ],
)
def test_nobody_who_took_part_before_approves_the_overturn(approver: str, rule: str) -> None:
    refund = overturned(rejected("20000.00"), "20000.00", opener="agent:eve")

    with refused(refund, SeparationOfDuties, f"(rule {rule})"):
        refund.approve(actor(approver), None, None, POLICY, at(12))


def test_an_earlier_approver_cannot_approve_the_overturn_of_their_partial_approval() -> None:
    refund = pending_refund("3000.00")
    refund.approve(actor("finance:fay"), Decimal("2000.00"), None, POLICY, at(1))
    overturned(refund, "3000.00")

    with refused(refund, SeparationOfDuties, "rule separation.participant_decides_overturn"):
        refund.approve(actor("finance:fay"), None, None, POLICY, at(12))


def test_a_manager_cannot_approve_an_overturn_waiting_at_the_finance_tier() -> None:
    refund = routed_20000()

    with refused(refund, AuthorityExceeded, "waits at the finance tier; manager may not approve"):
        refund.approve(actor("manager:max"), None, None, POLICY, at(12))


def test_an_approver_may_not_change_the_overturned_amount() -> None:
    refund = routed_20000()

    with refused(refund, InvalidDecision, "the overturn waiting for approval is for 20000.00"):
        refund.approve(actor("finance:fay"), Decimal("15000.00"), None, POLICY, at(12))


def test_two_new_finance_approvers_approve_the_overturned_amount() -> None:
    refund = routed_20000()

    refund.approve(actor("finance:fay"), None, "proof checked", POLICY, at(12))
    assert (refund.status, refund.reserved_amount()) == ("pending_approval", Decimal("20000.00"))
    refund.approve(actor("finance:finn"), Decimal("20000.00"), None, POLICY, at(13))

    assert (refund.status, refund.approved_amount) == ("approved", Decimal("20000.00"))
    assert refund.reserved_amount() == Decimal("20000.00")
    approved = payload(refund, e.RefundApproved)
    assert (approved.rule, approved.approvers) == (
        "approval.dual_control",
        ("finance:fay", "finance:finn"),
    )
    assert (refund.overturn_amount, refund.status_before_dispute) == (None, "")


def test_one_person_cannot_give_both_approvals_of_the_overturn() -> None:
    refund = routed_20000()
    refund.approve(actor("finance:fay"), None, None, POLICY, at(12))

    with refused(refund, SeparationOfDuties, "(rule separation.second_approval)"):
        refund.approve(actor("finance:fay"), None, None, POLICY, at(13))


@pytest.mark.parametrize("payer", ["finance:fay", "finance:finn", "finance:dana"])
def test_neither_overturn_approver_nor_the_resolver_pays_it_out(payer: str) -> None:
    refund = routed_20000()
    refund.approve(actor("finance:fay"), None, None, POLICY, at(12))
    refund.approve(actor("finance:finn"), None, None, POLICY, at(13))

    with refused(refund, SeparationOfDuties, "rule separation.approver_pays_out"):
        refund.start_payout(actor(payer), None, POLICY, at(14))
    refund.start_payout(actor("finance:pat"), None, POLICY, at(14))
    with refused(refund, SeparationOfDuties, "rule separation.approver_pays_out"):
        refund.settle_payout(actor(payer), "PSP-1", POLICY, at(15))


def test_a_policy_without_the_rule_lets_a_participant_approve_the_overturn() -> None:
    relaxed = policy_with(separation={"participant_decides_overturn": False})
    refund = overturned(rejected("2000.00"), "2000.00", policy=relaxed)

    refund.approve(actor("finance:fred"), None, None, relaxed, at(12))

    assert (refund.status, refund.approved_amount) == ("approved", Decimal("2000.00"))


# --- escalation and the SLA, as for any pending refund ---

SMALL_LIMIT = policy_with(approval={"limits": {"disputes": Decimal("500.00")}})


def test_a_waiting_overturn_escalates_to_the_next_tier() -> None:
    refund = overturned(rejected("800.00", by="manager:alice"), "800.00", policy=SMALL_LIMIT)
    assert (refund.tier, refund.last_rule) == ("manager", "approval.limits.disputes")

    refund.escalate(actor("manager:max"), "large for a dispute", SMALL_LIMIT, at(12))

    assert (refund.status, refund.tier) == ("pending_approval", "finance")
    with refused(refund, AuthorityExceeded, "waits at the finance tier"):
        refund.approve(actor("manager:max"), None, None, SMALL_LIMIT, at(13))
    refund.approve(actor("finance:fay"), None, None, SMALL_LIMIT, at(13))
    assert (refund.status, refund.approved_amount) == ("approved", Decimal("800.00"))


def test_the_sla_sweep_escalates_a_waiting_overturn() -> None:
    refund = overturned(rejected("800.00", by="manager:alice"), "800.00", policy=SMALL_LIMIT)

    assert not refund.sla_action_due(SMALL_LIMIT, at(11 + 48))
    refund.sweep_sla(SMALL_LIMIT, at(11 + 49))

    escalated = payload(refund, e.RefundEscalated)
    assert (escalated.rule, escalated.to_tier) == ("sla.pending_approval_hours", "finance")


# --- rejecting the overturn restores the decision before the dispute ---


def partly_paid_then_routed() -> Refund:
    """3,000.00 asked, 2,000.00 approved and paid, overturned to 3,000.00 (waits)."""
    refund = pending_refund("3000.00", order_total="50000.00")
    refund.approve(actor("finance:fay"), Decimal("2000.00"), None, POLICY, at(1))
    refund.start_payout(actor("finance:pat"), None, POLICY, at(2))
    refund.settle_payout(actor("finance:pat"), "PSP-1", POLICY, at(3))
    return overturned(refund, "3000.00")


def test_a_waiting_overturn_of_a_paid_refund_keeps_what_was_approved_and_paid() -> None:
    refund = partly_paid_then_routed()

    assert refund.status == "pending_approval"
    assert (refund.approved_amount, refund.paid_amount) == (Decimal("2000.00"), Decimal("2000.00"))
    assert refund.reserved_amount() == Decimal("3000.00")


def test_rejecting_the_overturn_after_a_partial_payout_restores_the_paid_decision() -> None:
    refund = partly_paid_then_routed()

    refund.reject(actor("finance:finn"), "the first decision was right", POLICY, at(12))

    assert refund.status == "paid"
    assert (refund.approved_amount, refund.paid_amount) == (Decimal("2000.00"), Decimal("2000.00"))
    assert refund.reserved_amount() == Decimal("2000.00")
    assert refund.last_rule == "rejection.overturn"
    rejected_overturn = payload(refund, e.OverturnRejected)
    assert rejected_overturn.model_dump(mode="json") == {
        "actor": "finance:finn",
        "policy_version": POLICY.version,
        "rule": "rejection.overturn",
        "reason": "the first decision was right",
        "amount": "3000.00",
        "restored_status": "paid",
    }
    assert "Rejected" not in event_types(refund)


def test_rejecting_the_overturn_of_a_rejection_leaves_it_rejected_holding_nothing() -> None:
    refund = routed_20000()

    refund.reject(actor("finance:fay"), "not convinced", POLICY, at(12))

    assert (refund.status, refund.approved_amount) == ("rejected", None)
    assert refund.reserved_amount() == Decimal(0)


def test_a_participant_cannot_reject_the_overturn_to_restore_their_own_decision() -> None:
    refund = routed_20000()

    with refused(refund, SeparationOfDuties, "somebody else must reject the overturn"):
        refund.reject(actor("finance:fred"), "I was right", POLICY, at(12))


def test_the_restored_decision_can_be_disputed_again_and_pays_nothing_twice() -> None:
    refund = partly_paid_then_routed()
    refund.reject(actor("finance:finn"), "no", POLICY, at(12))

    with refused(refund, IllegalTransition, "cannot start a payout for a refund that is paid"):
        refund.start_payout(actor("finance:pat"), None, POLICY, at(13))
    refund.open_dispute(actor("customer:c-1"), "again", POLICY, at(14))
    assert (refund.status, refund.status_before_dispute) == ("disputed", "paid")


def test_replaying_a_routed_and_rejected_overturn_rebuilds_the_same_refund() -> None:
    refund = partly_paid_then_routed()
    refund.reject(actor("finance:finn"), "no", POLICY, at(12))

    replayed = None
    for event in refund.pending_events:
        replayed = event.mutate(replayed)

    assert isinstance(replayed, Refund)
    assert vars(replayed) | {"_pending_events": []} == vars(refund) | {"_pending_events": []}
