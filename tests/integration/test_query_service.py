"""The query service decides what the interfaces used to: which refunds the SLA sweep looks
at, an order's refunds, read access before a reader's input is looked at, and a customer's
view of refunds and orders that are not theirs."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import pytest

from ledger.app import access
from ledger.app.queries import RefundFilter, RefundQueries
from ledger.app.service import RefundLedger
from ledger.bootstrap import bootstrap
from ledger.config import Settings
from ledger.domain.actor import Actor
from ledger.domain.errors import OrderNotFound, RefundNotFound, RoleNotAllowed
from ledger.domain.refund import Refund

from .support import AGENT, form

CUSTOMER = Actor.parse("customer:c-1")
OTHER_CUSTOMER = Actor.parse("customer:c-2")


def _never() -> Any:
    raise AssertionError("a refused reader's input is not parsed")


def test_the_sla_sweep_looks_only_at_refunds_pending_approval(app: RefundLedger) -> None:
    app.request(AGENT, form(order_id="O-1", amount="30.00"))  # approved at once
    pending = app.request(AGENT, form(order_id="O-2", amount="80.00"))

    candidates = RefundQueries(app).sla_candidates()

    assert candidates.found == [pending.id]
    assert (candidates.lag, candidates.note) == (0, "")


def test_a_reader_without_the_role_is_refused_before_its_input_is_parsed(
    app: RefundLedger,
) -> None:
    queries = RefundQueries(app)

    with pytest.raises(RoleNotAllowed, match="search the audit trail"):
        queries.search_trail(AGENT, _never)
    with pytest.raises(RoleNotAllowed, match="read the KPI report"):
        queries.kpis(AGENT, _never)
    with pytest.raises(RoleNotAllowed, match="reconcile settlements"):
        queries.reconciliation(CUSTOMER, _never)


def test_an_orders_refunds_are_listed_and_a_customer_sees_only_their_own_order(
    app: RefundLedger,
) -> None:
    first = app.request(AGENT, form(order_id="O-1", amount="20.00"))
    app.request(AGENT, form(order_id="O-2", amount="10.00"))
    second = app.request(AGENT, form(order_id="O-1", amount="30.00"))
    queries = RefundQueries(app)

    listed = queries.order_refunds(None, "O-1").found
    mine = queries.order(CUSTOMER, "O-1")

    assert [row["id"] for row in listed] == [str(first.id), str(second.id)]
    assert mine["refunds"] == queries.order(None, "O-1")["refunds"]
    with pytest.raises(OrderNotFound):
        queries.order(OTHER_CUSTOMER, "O-1")
    with pytest.raises(RefundNotFound):
        queries.show(OTHER_CUSTOMER, first.id)
    assert queries.refunds(OTHER_CUSTOMER, RefundFilter(order="O-1")).found == []


def test_a_command_on_another_customers_refund_finds_no_refund(app: RefundLedger) -> None:
    refund = app.request(AGENT, form())

    def unread(refund_id: UUID) -> Refund:
        raise AssertionError("staff address any refund: nothing is loaded to judge it")

    assert access.addressed(CUSTOMER, refund.id, app.get) == refund.id
    assert access.addressed(AGENT, refund.id, unread) == refund.id
    with pytest.raises(RefundNotFound):
        access.addressed(OTHER_CUSTOMER, refund.id, app.get)


def test_the_containers_query_service_reads_through_its_own_projections(database_url: str) -> None:
    container = bootstrap(Settings.from_env(database_url))
    try:
        queries = container.queries

        assert queries is container.queries  # one per process
        assert queries.projections is container.projections
        assert queries.health().failing is None
        assert [state.lag for state in queries.view_states()] == [0] * len(queries.view_states())
    finally:
        container.close()
