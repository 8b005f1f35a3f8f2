"""Manual approval: authority by role, dual control and separation of duties."""

from __future__ import annotations

import tomllib
from decimal import Decimal

from ledger.domain import payloads as e
from ledger.domain.errors import (
    AuthorityExceeded,
    IllegalTransition,
    InvalidAmount,
    InvalidDecision,
    RoleNotAllowed,
    SeparationOfDuties,
)
from ledger.domain.policy import Policy
from ledger.policy_file import default_policy_text

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
    verify,
)


def test_manager_approves_a_refund_within_their_limit() -> None:
    refund = pending_refund("1000.00")

    refund.approve(actor(MANAGER), None, "fine", POLICY, at(1))

    assert refund.status == "approved"
    assert refund.approved_amount == Decimal("1000.00")
    assert refund.pending_since is None
    approved = payload(refund, e.RefundApproved)
    assert approved.approvers == (MANAGER,)
    assert approved.rule == "approval.manual"
    assert approved.policy_version == POLICY.version
    assert approved.note == "fine"


def test_approver_may_approve_less_than_requested() -> None:
    refund = pending_refund("200.00")

    refund.approve(actor(MANAGER), Decimal("150.00"), None, POLICY, at(1))

    assert refund.approved_amount == Decimal("150.00")
    assert refund.reserved_amount() == Decimal("150.00")


def test_change_of_mind_approval_takes_restocking_fee() -> None:
    refund = pending_refund("200.00", reason="change_of_mind")

    refund.approve(actor(MANAGER), None, None, POLICY, at(1))

    assert refund.approved_amount == Decimal("170.00")


def test_explicit_amount_on_change_of_mind_waives_the_restocking_fee() -> None:
    refund = pending_refund("200.00", reason="change_of_mind")

    refund.approve(actor(MANAGER), Decimal("200.00"), None, POLICY, at(1))

    assert refund.approved_amount == Decimal("200.00")


def test_manager_cannot_approve_own_request() -> None:
    refund = pending_refund("200.00", requester="agent:mia")

    with refused(refund, SeparationOfDuties, "manager:mia requested this refund (as agent:mia)"):
        refund.approve(actor(MANAGER), None, None, POLICY, at(1))


def test_customer_and_approver_with_the_same_name_are_the_same_person() -> None:
    refund = pending_refund("200.00", requester="customer:mia", customer_id="mia")

    with refused(refund, SeparationOfDuties, "somebody else must approve it"):
        refund.approve(actor(MANAGER), None, None, POLICY, at(1))


def test_manager_cannot_approve_above_1000() -> None:
    refund = pending_refund("1000.01")

    with refused(refund, AuthorityExceeded, "waits at the finance tier; manager may not approve"):
        refund.approve(actor(MANAGER), None, None, POLICY, at(1))


def test_finance_can_approve_above_1000() -> None:
    refund = pending_refund("4000.00")

    refund.approve(actor(FINANCE), None, None, POLICY, at(1))

    assert refund.status == "approved"


def test_approver_cannot_exceed_role_limit_even_at_top_tier() -> None:
    data = tomllib.loads(default_policy_text())
    data["approval"]["limits"]["finance"] = "3000.00"
    strict = Policy.model_validate(data)
    refund = pending_refund("4000.00")

    with refused(refund, AuthorityExceeded, "finance may approve up to 3000.00 EUR alone"):
        refund.approve(actor(FINANCE), None, None, strict, at(1))


def test_first_of_two_approvals_keeps_the_refund_pending() -> None:
    refund = pending_refund("6000.00")

    refund.approve(actor(FINANCE), None, None, POLICY, at(1))

    assert refund.status == "pending_approval"
    assert refund.approved_amount is None
    assert event_types(refund)[-1] == "ApprovalRecorded"
    recorded = payload(refund, e.ApprovalRecorded)
    assert recorded.rule == "approval.dual_control"
    assert recorded.approvals_required == 2


def test_second_approval_by_another_person_approves_the_refund() -> None:
    refund = pending_refund("6000.00")
    refund.approve(actor(FINANCE), None, None, POLICY, at(1))

    refund.approve(actor("finance:fred"), None, None, POLICY, at(2))

    assert refund.status == "approved"
    assert refund.approved_amount == Decimal("6000.00")
    approved = payload(refund, e.RefundApproved)
    assert approved.approvers == (FINANCE, "finance:fred")
    assert approved.rule == "approval.dual_control"


def test_second_approval_must_come_from_another_person() -> None:
    refund = pending_refund("6000.00")
    refund.approve(actor(FINANCE), None, None, POLICY, at(1))

    with refused(refund, SeparationOfDuties, "the second must come from a different person"):
        refund.approve(actor("finance:FAY"), None, None, POLICY, at(2))


def test_second_approval_by_the_same_person_in_another_role_is_refused() -> None:
    data = tomllib.loads(default_policy_text())
    data["approval"]["limits"]["manager"] = "8000.00"
    generous = Policy.model_validate(data)
    refund = verify(new_refund("6000.00"), policy=generous)
    assert (refund.tier, refund.approvals_required) == ("manager", 2)
    refund.approve(actor(MANAGER), None, None, generous, at(1))

    with refused(refund, SeparationOfDuties, "already gave the first approval (manager:mia)"):
        refund.approve(actor("finance:mia"), None, None, generous, at(2))


def test_second_approval_must_be_for_the_same_amount() -> None:
    refund = pending_refund("6000.00")
    refund.approve(actor(FINANCE), Decimal("5500.00"), None, POLICY, at(1))

    with refused(refund, InvalidDecision, "the first approval was for 5500.00 EUR"):
        refund.approve(actor("finance:fred"), Decimal("6000.00"), None, POLICY, at(2))


def test_second_approval_without_amount_takes_the_first_amount() -> None:
    refund = pending_refund("6000.00")
    refund.approve(actor(FINANCE), Decimal("5500.00"), None, POLICY, at(1))

    refund.approve(actor("finance:fred"), None, None, POLICY, at(2))

    assert refund.approved_amount == Decimal("5500.00")


def test_refunds_above_10000_need_two_finance_approvals() -> None:
    refund = pending_refund("12000.00")
    assert (refund.tier, refund.approvals_required) == ("finance", 2)

    refund.approve(actor(FINANCE), None, None, POLICY, at(1))
    assert refund.status == "pending_approval"
    refund.approve(actor("finance:fred"), None, None, POLICY, at(2))

    assert refund.status == "approved"
    assert refund.approved_amount == Decimal("12000.00")


def test_manager_cannot_give_an_approval_above_10000() -> None:
    refund = pending_refund("12000.00")
    refund.approve(actor(FINANCE), None, None, POLICY, at(1))

    with refused(refund, AuthorityExceeded, "manager may not approve it"):
        refund.approve(actor("manager:max"), None, None, POLICY, at(2))


def test_cannot_approve_more_than_requested() -> None:
    refund = pending_refund("200.00")

    with refused(refund, InvalidDecision, "cannot approve 200.01 EUR: the request is for 200.00"):
        refund.approve(actor(MANAGER), Decimal("200.01"), None, POLICY, at(1))


def test_approved_amount_must_be_positive() -> None:
    refund = pending_refund("200.00")

    with refused(refund, InvalidDecision, "the amount must be greater than zero"):
        refund.approve(actor(MANAGER), Decimal("0.00"), None, POLICY, at(1))


def test_cannot_approve_before_verification() -> None:
    refund = new_refund("200.00", reason="damaged")

    with refused(refund, IllegalTransition, "cannot approve a refund that is requested"):
        refund.approve(actor(MANAGER), None, None, POLICY, at(1))


def test_cannot_approve_an_approved_refund_again() -> None:
    refund = approved_refund("200.00")

    with refused(refund, IllegalTransition, "it must be pending_approval"):
        refund.approve(actor("manager:max"), None, None, POLICY, at(2))


def test_cannot_approve_a_rejected_refund() -> None:
    refund = pending_refund("200.00")
    refund.reject(actor(MANAGER), "no receipt", POLICY, at(1))

    with refused(refund, IllegalTransition, "cannot approve a refund that is rejected"):
        refund.approve(actor("manager:max"), None, None, POLICY, at(2))


def test_agent_cannot_approve() -> None:
    refund = pending_refund("200.00")

    with refused(refund, RoleNotAllowed, "this needs one of: manager, finance"):
        refund.approve(actor("agent:amy"), None, None, POLICY, at(1))


def test_auditor_cannot_approve() -> None:
    refund = pending_refund("200.00")

    with refused(refund, RoleNotAllowed, "auditor:ann may not approve a refund"):
        refund.approve(actor("auditor:ann"), None, None, POLICY, at(1))


def test_approved_amount_must_be_exact_to_the_currency() -> None:
    refund = pending_refund("200.00")

    with refused(refund, InvalidAmount, "EUR has 2 decimal places"):
        refund.approve(actor(MANAGER), Decimal("10.001"), None, POLICY, at(1))
