"""Separation of duties: the requester never verifies, a participant never resolves the
dispute, an approver never pays out. Each walk-around is the same person under two roles."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ledger.domain import payloads as e
from ledger.domain.errors import SeparationOfDuties
from ledger.domain.refund import Refund

from .builders import (
    DISPUTES,
    MANAGER,
    POLICY,
    actor,
    at,
    new_refund,
    payload,
    pending_refund,
    policy_with,
    refused,
    verify,
)

BOB = "agent:bob"


def goods_request(requester: str = BOB) -> Refund:
    """A request whose goods come back: it waits for a verifier."""
    refund = new_refund("300.00", reason="damaged", requester=requester)
    assert refund.status == "requested"
    return refund


def rejected_by_manager(amount: str = "900.00", requester: str = BOB) -> Refund:
    refund = pending_refund(amount, requester=requester)
    refund.reject(actor("manager:alice"), "no receipt", POLICY, at(1))
    return refund


def disputed(refund: Refund, opener: str = "customer:c-1") -> Refund:
    refund.open_dispute(actor(opener), "I disagree", POLICY, at(10))
    return refund


# --- the requester does not verify their own request ---


def test_requester_cannot_verify_their_own_request_under_the_verifier_role() -> None:
    refund = goods_request()

    with refused(
        refund,
        SeparationOfDuties,
        "verifier:bob requested this refund (as agent:bob); somebody else must verify it "
        "(rule separation.requester_verifies)",
    ):
        verify(refund, by="verifier:bob")


def test_the_refusal_carries_the_rule_it_names() -> None:
    with pytest.raises(SeparationOfDuties) as raised:
        verify(goods_request(), by="verifier:bob")

    assert raised.value.rule == "separation.requester_verifies"


def test_a_customer_cannot_verify_their_own_request_as_a_verifier() -> None:
    refund = new_refund("300.00", reason="damaged", requester="customer:c-1")

    with refused(refund, SeparationOfDuties, "rule separation.requester_verifies"):
        verify(refund, by="verifier:c-1")


def test_another_verifier_verifies_the_request() -> None:
    refund = verify(goods_request(), by="verifier:vic")

    assert payload(refund, e.RefundVerified, -2).actor == "verifier:vic"


def test_a_policy_without_the_rule_lets_the_requester_verify() -> None:
    relaxed = policy_with(separation={"requester_verifies": False})

    refund = verify(goods_request(), by="verifier:bob", policy=relaxed)

    assert payload(refund, e.RefundVerified, -2).actor == "verifier:bob"


# --- nobody who took part resolves the dispute ---


@pytest.mark.parametrize("outcome", ["upheld", "overturned"])
def test_requester_cannot_resolve_the_dispute_about_their_request(outcome: str) -> None:
    refund = disputed(rejected_by_manager())
    amount = Decimal("900.00") if outcome == "overturned" else None

    with refused(
        refund,
        SeparationOfDuties,
        "disputes:bob requested this refund (as agent:bob); somebody else must resolve the "
        "dispute on it (rule separation.participant_resolves)",
    ):
        refund.resolve_dispute(actor("disputes:bob"), outcome, amount, "x", POLICY, at(11))


def test_opener_cannot_resolve_the_dispute_they_opened() -> None:
    refund = disputed(rejected_by_manager(), opener="disputes:dan")

    with refused(
        refund,
        SeparationOfDuties,
        "disputes:dan opened a dispute on this refund; somebody else must resolve it "
        "(rule separation.participant_resolves)",
    ):
        refund.resolve_dispute(actor("disputes:dan"), "upheld", None, "x", POLICY, at(11))


def test_an_agent_who_opened_the_dispute_cannot_resolve_it_under_the_disputes_role() -> None:
    refund = disputed(rejected_by_manager(), opener="agent:eve")

    with refused(refund, SeparationOfDuties, "rule separation.participant_resolves"):
        refund.resolve_dispute(
            actor("disputes:eve"), "overturned", Decimal("500"), "x", POLICY, at(11)
        )


def test_rejecter_cannot_resolve_under_another_role_and_the_rule_is_named() -> None:
    refund = disputed(rejected_by_manager())

    with refused(
        refund,
        SeparationOfDuties,
        "disputes:alice took part in the decision under dispute; somebody else must resolve it "
        "(rule separation.decider_resolves)",
    ):
        refund.resolve_dispute(actor("disputes:alice"), "upheld", None, "x", POLICY, at(11))


def test_an_outsider_resolves_the_dispute() -> None:
    refund = disputed(rejected_by_manager(), opener="disputes:dan")

    refund.resolve_dispute(actor("disputes:dora"), "upheld", None, "stands", POLICY, at(11))

    assert refund.status == "rejected"


def test_a_policy_without_the_rule_lets_the_requester_and_the_opener_resolve() -> None:
    relaxed = policy_with(separation={"participant_resolves": False})
    refund = disputed(rejected_by_manager(), opener="agent:bob")

    refund.resolve_dispute(
        actor("disputes:bob"), "overturned", Decimal("900"), "ok", relaxed, at(11)
    )

    assert (refund.status, refund.approved_amount) == ("approved", Decimal("900.00"))


def test_deciders_never_resolve_even_when_the_policy_relaxes_the_other_participants() -> None:
    relaxed = policy_with(separation={"participant_resolves": False})
    refund = disputed(rejected_by_manager())

    with refused(refund, SeparationOfDuties, "rule separation.decider_resolves"):
        refund.resolve_dispute(actor("disputes:alice"), "upheld", None, "x", relaxed, at(11))


# --- nobody who approved or overturned pays out ---


def finance_approved(amount: str = "2000.00") -> Refund:
    """Approved by finance:fay alone (above the manager's limit, below dual control)."""
    refund = pending_refund(amount)
    refund.approve(actor("finance:fay"), None, None, POLICY, at(1))
    assert refund.status == "approved"
    return refund


def test_approver_cannot_start_the_payout_of_what_they_approved() -> None:
    refund = finance_approved()

    with refused(
        refund,
        SeparationOfDuties,
        "finance:fay approved this refund or overturned a decision on it; somebody else must "
        "start its payout (rule separation.approver_pays_out)",
    ):
        refund.start_payout(actor("finance:fay"), None, POLICY, at(2))


def test_approver_cannot_settle_a_payout_somebody_else_started() -> None:
    refund = finance_approved()
    refund.start_payout(actor("finance:pat"), None, POLICY, at(2))

    with refused(refund, SeparationOfDuties, "somebody else must settle its payout"):
        refund.settle_payout(actor("finance:fay"), "PSP-1", POLICY, at(3))
    refund.settle_payout(actor("finance:pat"), "PSP-1", POLICY, at(3))
    assert refund.status == "paid"


def test_approver_cannot_retry_a_failed_payout() -> None:
    refund = finance_approved()
    refund.start_payout(actor("finance:pat"), None, POLICY, at(2))
    refund.fail_payout(actor("finance:pat"), "card expired", None, POLICY, at(3))

    with refused(refund, SeparationOfDuties, "rule separation.approver_pays_out"):
        refund.start_payout(actor("finance:fay"), None, POLICY, at(4))


@pytest.mark.parametrize("approver", ["finance:fay", "finance:fred"])
def test_neither_dual_control_approver_pays_out(approver: str) -> None:
    refund = pending_refund("6000.00")
    refund.approve(actor("finance:fay"), None, None, POLICY, at(1))
    refund.approve(actor("finance:fred"), None, None, POLICY, at(2))

    with refused(refund, SeparationOfDuties, "rule separation.approver_pays_out"):
        refund.start_payout(actor(approver), None, POLICY, at(3))


def test_a_manager_who_approved_cannot_pay_out_under_the_finance_role() -> None:
    refund = pending_refund("200.00")
    refund.approve(actor(MANAGER), None, None, POLICY, at(1))

    with refused(refund, SeparationOfDuties, "rule separation.approver_pays_out"):
        refund.start_payout(actor("finance:mia"), None, POLICY, at(2))


def test_the_resolver_of_an_overturn_cannot_pay_it_out_under_the_finance_role() -> None:
    refund = disputed(rejected_by_manager("600.00"))
    refund.resolve_dispute(actor(DISPUTES), "overturned", Decimal("600"), "ok", POLICY, at(11))

    with refused(refund, SeparationOfDuties, "rule separation.approver_pays_out"):
        refund.start_payout(actor("finance:dan"), None, POLICY, at(12))


def test_somebody_who_only_rejected_may_pay_out_the_overturn() -> None:
    refund = disputed(rejected_by_manager("600.00"))
    refund.resolve_dispute(actor(DISPUTES), "overturned", Decimal("600"), "ok", POLICY, at(11))

    refund.start_payout(actor("finance:alice"), None, POLICY, at(12))

    assert refund.status == "payout_pending"


def test_a_policy_without_the_rule_lets_the_approver_pay_out() -> None:
    relaxed = policy_with(separation={"approver_pays_out": False})
    refund = finance_approved()

    refund.start_payout(actor("finance:fay"), None, relaxed, at(2))
    refund.settle_payout(actor("finance:fay"), "PSP-1", relaxed, at(3))

    assert refund.status == "paid"
