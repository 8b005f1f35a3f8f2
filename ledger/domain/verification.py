"""Verification: the checks run on a request, each stored as a finding."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from ledger.domain.payloads import Finding, RefundRequested
from ledger.domain.policy import Policy
from ledger.domain.vocabulary import REASONS


@dataclass(frozen=True)
class Outcome:
    findings: tuple[Finding, ...]
    condition: str | None = None

    def first_failure(self) -> Finding | None:
        return next((f for f in self.findings if not f.passed), None)


def assess(
    request: RefundRequested,
    requested_on: date,
    refundable_before: Decimal,
    policy: Policy,
    condition: str | None = None,
    failure: str | None = None,
) -> Outcome:
    """Check return window, amount, refundable balance and reason; add the inspection."""
    findings = [
        _return_window(request, requested_on, policy),
        Finding(
            check="amount_positive",
            passed=request.amount > 0,
            detail=f"{request.amount} {request.currency}",
        ),
        Finding(
            check="refundable",
            passed=request.amount <= refundable_before,
            detail=(
                f"{request.amount} of {refundable_before} {request.currency} "
                "still refundable on the order"
            ),
        ),
        Finding(
            check="reason",
            passed=request.reason in REASONS,
            detail=request.reason
            + (" (goods come back)" if policy.goods_come_back(request.reason) else ""),
        ),
    ]
    if policy.goods_come_back(request.reason):
        findings.append(
            Finding(
                check="inspection",
                passed=failure is None,
                detail=failure or f"goods received; condition: {condition or 'not stated'}",
            )
        )
    return Outcome(findings=tuple(findings), condition=condition)


def _return_window(request: RefundRequested, requested_on: date, policy: Policy) -> Finding:
    days = policy.return_window_days(request.reason)
    if request.purchased_on is None:
        detail = "purchase date unknown; not checked"
        if policy.goods_come_back(request.reason):
            detail += " (goods come back: a person decides, never the automatic approval)"
        return Finding(check="return_window", passed=True, detail=detail)
    deadline = request.purchased_on + timedelta(days=days)
    passed = requested_on <= deadline
    return Finding(
        check="return_window",
        passed=passed,
        detail=f"purchased {request.purchased_on}, requested {requested_on}, "
        f"window {days} days (until {deadline})",
    )
