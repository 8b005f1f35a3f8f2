"""Who may read what (commands are judged by the policy inside the domain)."""

from __future__ import annotations

import pytest

from ledger.app import access
from ledger.domain.errors import RefundNotFound, RoleNotAllowed
from ledger.domain.vocabulary import ROLES

from .builders import actor, new_refund

EXPECTED = {
    "refunds": set(ROLES),
    "audit_search": {"manager", "finance", "disputes", "auditor"},
    "kpis": {"manager", "finance", "auditor"},
    "reconcile": {"finance", "auditor"},
    "metrics": {"auditor", "system"},
}


@pytest.mark.parametrize("what", sorted(EXPECTED))
@pytest.mark.parametrize("role", ROLES)
def test_read_permissions(what: access.Read, role: str) -> None:
    who = actor(f"{role}:someone")
    if role in EXPECTED[what]:
        access.require_reader(who, what)
    else:
        with pytest.raises(RoleNotAllowed, match=f"{role}:someone may not"):
            access.require_reader(who, what)


def test_customer_sees_own_refund_whatever_the_case_of_the_id() -> None:
    refund = new_refund(customer_id="C-1")

    assert access.visible(actor("customer:c-1"), refund) is refund
    assert access.own_customer(actor("customer:c-1")) == "c-1"


def test_another_customers_refund_does_not_exist_to_a_customer() -> None:
    refund = new_refund(customer_id="C-1")

    with pytest.raises(RefundNotFound, match=str(refund.id)):
        access.visible(actor("customer:c-2"), refund)


def test_staff_see_every_refund() -> None:
    refund = new_refund(customer_id="C-1")

    for role in set(ROLES) - {"customer"}:
        assert access.visible(actor(f"{role}:x"), refund) is refund
        assert access.own_customer(actor(f"{role}:x")) is None
