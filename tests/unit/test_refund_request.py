"""Requesting and verifying a refund, and the routing that follows verification."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from functools import reduce
from typing import Any
from uuid import uuid4

import pytest

from ledger.domain import payloads as e
from ledger.domain.errors import IllegalTransition, RoleNotAllowed
from ledger.domain.refund import Refund

from .builders import (
    CUSTOMER,
    DISPUTES,
    FINANCE,
    MANAGER,
    POLICY,
    REQUESTER,
    T0,
    actor,
    at,
    event_types,
    new_refund,
    paid_refund,
    payload,
    pending_refund,
    refused,
    request_payload,
    verify,
)


def test_request_opens_a_refund_in_requested_status() -> None:
    refund = new_refund("120.00")

    assert refund.status == "requested"
    assert refund.version == 1
    assert refund.requested_amount == Decimal("120.00")
    assert refund.currency == "EUR"
    assert str(refund.requester) == REQUESTER
    assert refund.request.customer_id == CUSTOMER
    assert refund.created_on == T0
    assert event_types(refund) == ["Requested"]


def test_request_holds_its_amount_of_the_order_until_decided() -> None:
    assert new_refund("120.00").reserved_amount() == Decimal("120.00")


def test_verification_stores_each_check_as_a_finding() -> None:
    refund = verify(new_refund("120.00", reason="damaged"), by="verifier:vic", condition="boxed")

    checks = [(f.check, f.passed) for f in refund.findings]
    assert checks == [
        ("return_window", True),
        ("amount_positive", True),
        ("refundable", True),
        ("reason", True),
        ("inspection", True),
    ]
    verified = payload(refund, e.RefundVerified, 1)
    assert verified.actor == "verifier:vic"
    assert verified.condition == "boxed"
    assert verified.rule == "verification.passed"


def test_reasons_without_returned_goods_have_no_inspection_finding() -> None:
    refund = verify(new_refund("120.00", reason="billing_error"))

    assert "inspection" not in [f.check for f in refund.findings]


def test_verified_refund_within_manager_limit_waits_at_manager_tier() -> None:
    refund = verify(new_refund("50.01"))

    assert refund.status == "pending_approval"
    assert refund.tier == "manager"
    assert refund.approvals_required == 1
    assert refund.last_rule == "auto_approval.max_amount"
    assert refund.pending_since == T0


def test_refund_above_1000_starts_at_finance_tier() -> None:
    refund = pending_refund("1000.01")

    assert refund.tier == "finance"
    assert refund.approvals_required == 1


def test_refund_at_1000_starts_at_manager_tier() -> None:
    assert pending_refund("1000.00").tier == "manager"


def test_refund_above_5000_needs_two_approvals() -> None:
    refund = pending_refund("5000.01")

    assert refund.tier == "finance"
    assert refund.approvals_required == 2
    routed = payload(refund, e.RoutedForApproval)
    assert routed.approvals_required == 2


def test_small_refund_is_approved_automatically_by_policy() -> None:
    refund = verify(new_refund("50.00"))

    assert refund.status == "approved"
    assert refund.approved_amount == Decimal("50.00")
    approved = payload(refund, e.RefundApproved)
    assert approved.actor == "system:policy"
    assert approved.approvers == ("system:policy",)
    assert approved.rule == "auto_approval"
    assert approved.policy_version == POLICY.version


@pytest.mark.parametrize("reason", ["goodwill", "short_payment_writeoff"])
def test_excluded_reasons_are_never_approved_automatically(reason: str) -> None:
    refund = verify(new_refund("5.00", reason=reason))

    assert refund.status == "pending_approval"
    assert refund.last_rule == "auto_approval.excluded_reason"


def test_change_of_mind_auto_approval_takes_restocking_fee() -> None:
    bought = T0.date() - timedelta(days=3)
    refund = verify(
        new_refund("40.00", reason="change_of_mind", purchased_on=bought), by="verifier:vic"
    )

    assert refund.status == "approved"
    assert refund.approved_amount == Decimal("34.00")
    assert refund.reserved_amount() == Decimal("34.00")


def test_return_window_of_30_days_is_enforced() -> None:
    purchased = T0.date() - timedelta(days=31)
    refund = verify(
        new_refund("20.00", reason="damaged", purchased_on=purchased), by="verifier:vic"
    )

    assert refund.status == "rejected"
    assert refund.last_rule == "verification.return_window"
    rejected = payload(refund, e.RefundRejected)
    assert rejected.actor == "system:policy"
    assert "window 30 days" in rejected.reason


def test_request_on_the_last_day_of_the_window_passes() -> None:
    purchased = T0.date() - timedelta(days=30)
    refund = verify(
        new_refund("20.00", reason="damaged", purchased_on=purchased), by="verifier:vic"
    )

    assert refund.status == "approved"


def test_change_of_mind_window_is_14_days() -> None:
    purchased = T0.date() - timedelta(days=15)
    refund = verify(
        new_refund("20.00", reason="change_of_mind", purchased_on=purchased), by="verifier:vic"
    )

    assert refund.status == "rejected"
    assert "window 14 days" in refund.findings[0].detail


def test_goods_return_without_a_purchase_date_waits_for_a_person() -> None:
    refund = verify(new_refund("20.00", reason="damaged"), by="verifier:vic")

    assert refund.findings[0].passed
    assert refund.findings[0].detail == (
        "purchase date unknown; not checked "
        "(goods come back: a person decides, never the automatic approval)"
    )
    assert refund.status == "pending_approval"
    assert refund.last_rule == "auto_approval.purchase_date_unknown"


def test_a_refund_without_goods_and_without_a_purchase_date_may_still_approve_itself() -> None:
    refund = verify(new_refund("20.00", reason="late_delivery"))

    assert refund.findings[0].detail == "purchase date unknown; not checked"
    assert refund.status == "approved"


def test_amount_above_what_is_still_refundable_is_rejected() -> None:
    refund = verify(new_refund("120.00"), refundable="100.00")

    assert refund.status == "rejected"
    assert refund.last_rule == "verification.refundable"
    assert refund.reserved_amount() == Decimal(0)


def test_failed_inspection_rejects_with_the_verifiers_reason() -> None:
    refund = verify(new_refund("20.00", reason="damaged"), by="verifier:vic", failure="box empty")

    assert refund.status == "rejected"
    assert refund.last_rule == "verification.inspection"
    verified = payload(refund, e.RefundVerified, 1)
    assert verified.passed is False
    assert payload(refund, e.RefundRejected).reason == "box empty"


def test_customer_cannot_verify_a_refund() -> None:
    refund = new_refund("20.00", reason="damaged")

    with refused(refund, RoleNotAllowed, "customer:c-1 may not verify a refund"):
        verify(refund, by="customer:c-1")


def test_auditor_cannot_verify() -> None:
    refund = new_refund("20.00", reason="damaged")

    with refused(refund, RoleNotAllowed, "auditor:ann may not verify a refund"):
        verify(refund, by="auditor:ann")


def test_cannot_verify_a_refund_twice() -> None:
    refund = pending_refund("200.00", reason="damaged")

    with refused(refund, IllegalTransition, "cannot verify a refund that is pending_approval"):
        verify(refund, by="verifier:vic")


def _replay(refund: Refund) -> Any:
    return reduce(lambda aggregate, event: event.mutate(aggregate), refund.pending_events, None)


def _state(refund: Any) -> dict[str, Any]:
    return {k: v for k, v in vars(refund).items() if k != "_pending_events"}


def test_replaying_the_events_rebuilds_the_same_refund() -> None:
    refund = pending_refund("300.00")
    refund.approve(actor(MANAGER), Decimal("250.00"), "partly", POLICY, at(1))
    refund.start_payout(actor(FINANCE), None, POLICY, at(2))
    refund.settle_payout(actor(FINANCE), "PSP-1", POLICY, at(3))
    refund.open_dispute(actor("customer:c-1"), "wanted all of it", POLICY, at(4))
    refund.resolve_dispute(actor(DISPUTES), "overturned", Decimal("300.00"), "ok", POLICY, at(5))
    refund.start_payout(actor(FINANCE), "bank_transfer", POLICY, at(6))

    replayed = _replay(refund)

    assert isinstance(replayed, Refund)
    assert _state(replayed) == _state(refund)
    assert replayed.version == len(refund.pending_events) == 9
    assert replayed.status == "payout_pending"
    assert replayed.payout_amount == Decimal("50.00")


def test_replay_up_to_a_version_gives_the_state_at_that_moment() -> None:
    refund = paid_refund("300.00")

    as_approved = reduce(lambda a, ev: ev.mutate(a), refund.pending_events[:4], None)

    assert as_approved is not None
    assert as_approved.status == "approved"
    assert as_approved.approved_amount == Decimal("300.00")
    assert as_approved.paid_amount is None
    assert refund.paid_amount == Decimal("300.00")


@pytest.mark.parametrize("requester", ["auditor:amy", "verifier:vic", "manager:mia"])
def test_roles_without_request_permission_cannot_open_a_refund(requester: str) -> None:
    payload = request_payload("20.00", requester=requester)

    with pytest.raises(RoleNotAllowed, match="may not request a refund"):
        Refund.open(uuid4(), actor(requester), payload, POLICY, at(0))


def test_customer_cannot_request_for_another_customer() -> None:
    payload = request_payload("20.00", requester="customer:c-2")

    with pytest.raises(RoleNotAllowed, match="for customer c-1"):
        Refund.open(uuid4(), actor("customer:c-2"), payload, POLICY, at(0))
