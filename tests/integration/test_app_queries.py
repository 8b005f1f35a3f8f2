"""Queries: listing refunds with filters, the full history in order, the state as of a version."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from uuid import uuid4

import pytest

from ledger.app.presenters import RefundOut, event_out, refund_out
from ledger.app.queries import RefundFilter, RefundQueries
from ledger.app.service import RefundLedger
from ledger.domain.errors import RefundNotFound
from ledger.domain.order import OrderBalance

from .support import AGENT, FINANCE, MANAGER, VERIFIER, FakeClock, form


def test_list_refunds_filters_by_status_customer_and_order(app: RefundLedger) -> None:
    a, b, c = (
        str(app.request(AGENT, form(order_id=order, customer_id=customer, amount=amount)).id)
        for order, customer, amount in (
            ("O-1", "C-1", "20.00"), ("O-3", "C-2", "60.00"), ("O-2", "C-1", "10.00")
        )
    )  # fmt: skip

    def ids(
        status: str | None = None, customer: str | None = None, order: str | None = None
    ) -> list[str]:
        where = RefundFilter(status=status, customer=customer, order=order)
        return [r["id"] for r in RefundQueries(app).refunds(None, where).found]

    assert ids() == [a, b, c]
    assert ids(status="approved") == [a, c]
    assert ids(status="pending_approval") == [b]
    assert ids(customer="C-1") == [a, c]
    assert ids(order="O-1") == [a]
    assert ids(order="O-3") == [b]
    assert ids(status="approved", customer="C-1", order="O-2") == [c]
    assert ids(status="paid") == []


def test_list_refunds_shows_current_state(app: RefundLedger) -> None:
    queries = RefundQueries(app)
    refund = app.request(AGENT, form(amount="20.00"))
    assert [r["status"] for r in queries.refunds(None, RefundFilter()).found] == ["approved"]
    app.start_payout(refund.id, FINANCE, None)

    [listed] = queries.refunds(None, RefundFilter(status="payout_pending")).found
    assert listed == refund_out(app.get(refund.id))
    assert queries.refunds(None, RefundFilter(status="approved")).found == []


def test_history_lists_every_event_in_order_with_actor_time_and_content(
    app: RefundLedger, clock: FakeClock
) -> None:
    purchased = str(clock.now.date() - timedelta(days=4))
    refund = app.request(
        AGENT, form(amount="80.00", reason="wrong_item", purchased_on=purchased, items=("SKU-1:2",))
    )
    clock.advance(hours=1)
    app.verify(refund.id, VERIFIER, "unopened", None)
    clock.advance(hours=1)
    app.approve(refund.id, MANAGER, Decimal("75.00"), "shipping kept")

    history = [event_out(event) for event in app.history(refund.id)]

    assert [h["version"] for h in history] == [1, 2, 3, 4]
    assert [h["type"] for h in history] == [
        "Requested",
        "Verified",
        "RoutedForApproval",
        "Approved",
    ]
    assert [h["actor"] for h in history] == [
        "agent:ann",
        "verifier:vic",
        "system:policy",
        "manager:bob",
    ]
    assert history[0]["at"] < history[1]["at"] == history[2]["at"] < history[3]["at"]
    assert history[0]["at"].endswith("+00:00")
    assert history[0]["items"] == [{"sku": "SKU-1", "quantity": 2}]
    assert history[1]["condition"] == "unopened"
    assert [f["check"] for f in history[1]["findings"]][-1] == "inspection"
    assert history[2]["rule"] == "auto_approval.max_amount"
    assert (history[3]["amount"], history[3]["note"]) == ("75.00", "shipping kept")
    assert {h.get("policy_version") for h in history[1:]} == {app.policy.version}


def test_refund_as_of_an_earlier_version(app: RefundLedger, clock: FakeClock) -> None:
    refund = app.request(AGENT, form(amount="80.00"))
    app.approve(refund.id, MANAGER, None, None)

    before = app.get(refund.id, version=3)
    now = refund_out(app.get(refund.id))

    assert (before.status, before.approved_amount) == ("pending_approval", None)
    assert (now["status"], now["approved_amount"], now["version"]) == ("approved", "80.00", 4)
    assert Decimal(now["requested_amount"]) == Decimal("80")


def test_history_of_an_id_that_is_not_a_refund_is_not_found(app: RefundLedger) -> None:
    refund = app.request(AGENT, form())

    with pytest.raises(RefundNotFound):
        app.history(uuid4())
    with pytest.raises(RefundNotFound):  # the order's balance is an aggregate, not a refund
        app.history(OrderBalance.id_for(refund.request.order_id))


def test_the_refund_dict_is_what_the_output_model_gives(app: RefundLedger) -> None:
    """`refund_out` builds the dict itself (no model on `show`'s way): it has exactly the
    model's fields, and validating it through the model gives it back unchanged."""
    refund = app.approve(app.request(AGENT, form(amount="90.00")).id, MANAGER, None, "ok")

    shown = refund_out(refund)

    assert list(shown) == list(RefundOut.model_fields)
    assert RefundOut.model_validate(shown).model_dump() == shown
    assert RefundOut.of(refund).model_dump() == shown
