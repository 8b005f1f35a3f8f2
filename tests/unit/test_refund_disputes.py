"""Disputes: reopened decisions, resolved by someone other than the original decider."""

from __future__ import annotations

from decimal import Decimal

from ledger.domain import payloads as e
from ledger.domain.errors import (
    IllegalTransition,
    InvalidAmount,
    InvalidDecision,
    RoleNotAllowed,
    SeparationOfDuties,
)
from ledger.domain.refund import Refund

from .builders import (
    DISPUTES,
    FINANCE,
    MANAGER,
    POLICY,
    actor,
    approved_refund,
    at,
    new_refund,
    paid_refund,
    paying_refund,
    payload,
    payloads,
    pending_refund,
    refused,
    verify,
)


def rejected_refund(amount: str = "200.00") -> Refund:
    refund = pending_refund(amount)
    refund.reject(actor(MANAGER), "no receipt", POLICY, at(1))
    return refund


def disputed(refund: Refund) -> Refund:
    refund.open_dispute(actor("customer:c-1"), "I disagree", POLICY, at(10))
    return refund


def test_customer_can_dispute_a_rejection() -> None:
    refund = disputed(rejected_refund())

    assert refund.status == "disputed"
    assert refund.status_before_dispute == "rejected"
    opened = payload(refund, e.DisputeOpened)
    assert (opened.previous_status, opened.reason) == ("rejected", "I disagree")


def test_disputed_rejection_still_holds_nothing_of_the_order() -> None:
    assert disputed(rejected_refund()).reserved_amount() == Decimal(0)


def test_paid_refund_can_be_disputed() -> None:
    refund = disputed(paid_refund("200.00"))

    assert refund.status == "disputed"
    assert refund.reserved_amount() == Decimal("200.00")


def test_cannot_dispute_a_pending_refund() -> None:
    refund = pending_refund("200.00")

    with refused(refund, IllegalTransition, "cannot dispute a refund that is pending_approval"):
        refund.open_dispute(actor("customer:c-1"), "hurry", POLICY, at(1))


def test_cannot_dispute_while_a_payout_is_pending() -> None:
    refund = paying_refund("200.00")

    with refused(refund, IllegalTransition, "it must be rejected or approved or paid"):
        refund.open_dispute(actor("customer:c-1"), "hurry", POLICY, at(3))


def test_cannot_dispute_twice_at_once() -> None:
    refund = disputed(rejected_refund())

    with refused(refund, IllegalTransition, "cannot dispute a refund that is disputed"):
        refund.open_dispute(actor("agent:alice"), "again", POLICY, at(11))


def test_cannot_start_payout_while_disputed() -> None:
    refund = disputed(approved_refund("200.00"))

    with refused(refund, IllegalTransition, "cannot start a payout for a refund that is disputed"):
        refund.start_payout(actor(FINANCE), None, POLICY, at(11))


def test_customer_cannot_dispute_another_customers_refund() -> None:
    refund = rejected_refund()

    with refused(refund, RoleNotAllowed, "customer:c-2 may not open a dispute for customer c-1"):
        refund.open_dispute(actor("customer:c-2"), "mine", POLICY, at(10))


def test_auditor_cannot_open_a_dispute() -> None:
    refund = rejected_refund()

    with refused(refund, RoleNotAllowed, "auditor:ann may not open a dispute"):
        refund.open_dispute(actor("auditor:ann"), "odd", POLICY, at(10))


def test_upheld_rejection_stays_rejected() -> None:
    refund = disputed(rejected_refund())

    refund.resolve_dispute(actor(DISPUTES), "upheld", None, "policy applied", POLICY, at(11))

    assert refund.status == "rejected"
    assert refund.approved_amount is None
    resolved = payload(refund, e.DisputeResolved)
    assert (resolved.outcome, resolved.rule, resolved.previous_status) == (
        "upheld",
        "dispute.upheld",
        "rejected",
    )
    assert resolved.policy_version == POLICY.version


def test_upheld_paid_refund_stays_paid() -> None:
    refund = disputed(paid_refund("200.00"))

    refund.resolve_dispute(actor(DISPUTES), "upheld", None, "correct", POLICY, at(11))

    assert refund.status == "paid"
    assert refund.paid_amount == Decimal("200.00")


def test_upheld_decision_takes_no_amount() -> None:
    refund = disputed(rejected_refund())

    with refused(refund, InvalidDecision, "an upheld decision keeps its amount"):
        refund.resolve_dispute(actor(DISPUTES), "upheld", Decimal("10.00"), "x", POLICY, at(11))


def test_overturned_rejection_approves_the_new_amount() -> None:
    refund = disputed(rejected_refund("200.00"))

    refund.resolve_dispute(actor(DISPUTES), "overturned", Decimal("150.00"), "ok", POLICY, at(11))

    assert refund.status == "approved"
    assert refund.approved_amount == Decimal("150.00")
    assert refund.reserved_amount() == Decimal("150.00")
    assert payload(refund, e.DisputeResolved).amount == Decimal("150.00")


def test_overturned_paid_refund_pays_only_the_difference() -> None:
    refund = pending_refund("300.00")
    refund.approve(actor(MANAGER), Decimal("200.00"), None, POLICY, at(1))
    refund.start_payout(actor(FINANCE), None, POLICY, at(2))
    refund.settle_payout(actor(FINANCE), "PSP-1", POLICY, at(3))
    disputed(refund)

    refund.resolve_dispute(actor(DISPUTES), "overturned", Decimal("260.00"), "ok", POLICY, at(11))
    refund.start_payout(actor(FINANCE), None, POLICY, at(12))
    refund.settle_payout(actor(FINANCE), "PSP-2", POLICY, at(13))

    payouts = [p for p in payloads(refund) if isinstance(p, e.PayoutStarted)]
    assert [(p.attempt, p.amount) for p in payouts] == [
        (1, Decimal("200.00")),
        (2, Decimal("60.00")),
    ]
    assert refund.paid_amount == Decimal("260.00")
    assert refund.status == "paid"


def test_overturned_decision_needs_an_amount() -> None:
    refund = disputed(rejected_refund())

    with refused(refund, InvalidDecision, "needs the new approved amount"):
        refund.resolve_dispute(actor(DISPUTES), "overturned", None, "x", POLICY, at(11))


def test_overturned_amount_must_exceed_the_previous_decision() -> None:
    refund = disputed(approved_refund("200.00"))
    refund_before = refund.approved_amount

    with refused(refund, InvalidDecision, "must be above the 200.00 EUR decided before"):
        refund.resolve_dispute(
            actor(DISPUTES), "overturned", Decimal("200.00"), "x", POLICY, at(11)
        )
    assert refund.approved_amount == refund_before


def test_overturned_amount_cannot_exceed_the_request() -> None:
    refund = disputed(rejected_refund("200.00"))

    with refused(refund, InvalidDecision, "cannot exceed the 200.00 EUR requested"):
        refund.resolve_dispute(
            actor(DISPUTES), "overturned", Decimal("200.01"), "x", POLICY, at(11)
        )


def test_unknown_dispute_outcome_is_refused() -> None:
    refund = disputed(rejected_refund())

    with refused(
        refund, InvalidDecision, "unknown dispute outcome 'maybe'; use upheld or overturned"
    ):
        refund.resolve_dispute(actor(DISPUTES), "maybe", None, "x", POLICY, at(11))


def test_dispute_resolver_must_not_be_original_decider() -> None:
    refund = disputed(rejected_refund())

    with refused(
        refund, SeparationOfDuties, "disputes:mia took part in the decision under dispute"
    ):
        refund.resolve_dispute(actor("disputes:mia"), "upheld", None, "fine", POLICY, at(11))


def test_dispute_resolver_must_not_be_either_dual_control_approver() -> None:
    refund = pending_refund("6000.00")
    refund.approve(actor(FINANCE), None, None, POLICY, at(1))
    refund.approve(actor("finance:fred"), None, None, POLICY, at(2))
    disputed(refund)

    with refused(refund, SeparationOfDuties, "somebody else must resolve it"):
        refund.resolve_dispute(actor("disputes:fay"), "upheld", None, "fine", POLICY, at(11))


def test_automatic_decision_may_be_resolved_by_any_dispute_handler() -> None:
    refund = disputed(verify(new_refund("20.00")))
    assert refund.deciders == {"policy"}

    refund.resolve_dispute(actor(DISPUTES), "upheld", None, "ok", POLICY, at(11))

    assert refund.status == "approved"


def test_cannot_resolve_a_dispute_that_is_not_open() -> None:
    refund = rejected_refund()

    with refused(
        refund, IllegalTransition, "cannot resolve a dispute on a refund that is rejected"
    ):
        refund.resolve_dispute(actor(DISPUTES), "upheld", None, "x", POLICY, at(11))


def test_manager_cannot_resolve_a_dispute() -> None:
    refund = disputed(rejected_refund())

    with refused(refund, RoleNotAllowed, "this needs one of: disputes"):
        refund.resolve_dispute(actor("manager:max"), "upheld", None, "x", POLICY, at(11))


def test_auditor_cannot_resolve_a_dispute() -> None:
    refund = disputed(rejected_refund())

    with refused(refund, RoleNotAllowed, "auditor:ann may not resolve a dispute"):
        refund.resolve_dispute(actor("auditor:ann"), "upheld", None, "x", POLICY, at(11))


def test_resolver_of_an_earlier_dispute_cannot_resolve_a_dispute_about_their_ruling() -> None:
    refund = disputed(rejected_refund())
    refund.resolve_dispute(actor(DISPUTES), "overturned", Decimal("150.00"), "ok", POLICY, at(11))
    refund.open_dispute(actor("customer:c-1"), "I want all of it", POLICY, at(12))

    with refused(refund, SeparationOfDuties, "took part in the decision under dispute"):
        refund.resolve_dispute(actor(DISPUTES), "upheld", None, "stands", POLICY, at(13))


def test_overturned_amount_must_be_exact_to_the_currency() -> None:
    refund = disputed(rejected_refund())

    with refused(refund, InvalidAmount, "EUR has 2 decimal places"):
        refund.resolve_dispute(
            actor(DISPUTES), "overturned", Decimal("10.001"), "ok", POLICY, at(11)
        )


def test_resolution_becomes_the_last_rule_of_the_refund() -> None:
    refund = disputed(rejected_refund())

    refund.resolve_dispute(actor(DISPUTES), "overturned", Decimal("150.00"), "ok", POLICY, at(11))

    assert refund.last_rule == "dispute.overturned"
