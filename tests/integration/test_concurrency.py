"""Several OS processes race on one order (docs/product.md §2.2: the cap holds under concurrent
requests)."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from decimal import Decimal
from uuid import UUID

from ledger.app.queries import RefundFilter, RefundQueries
from ledger.app.service import RefundLedger
from ledger.domain.order import OrderBalance
from ledger.domain.refund import Refund

from .racers import ORDER_ID, Outcome, race_requests
from .support import (
    event_types,
    shared_database_url,  # noqa: F401  (its database is shared with processes)
)

WORKERS = 6
REQUESTS_EACH = 5


def run_racers(
    database_url: str, requests: int, idempotency_key: str | None = None, cold: bool = False
) -> list[Outcome]:
    """Start WORKERS processes that begin together; return every outcome they report."""
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(WORKERS)
    results = context.Queue()
    workers = [
        context.Process(
            target=race_requests,
            args=(database_url, worker, requests, idempotency_key, cold, barrier, results),
        )
        for worker in range(WORKERS)
    ]
    for process in workers:
        process.start()
    outcomes = [outcome for _ in workers for outcome in results.get(timeout=120)]
    for process in workers:
        process.join(timeout=30)
        assert process.exitcode == 0, f"worker {process.pid} exited with {process.exitcode}"
    return outcomes


def stored_refunds(app: RefundLedger, where: RefundFilter) -> list[Refund]:
    """The refunds the query service lists, each as its events leave it."""
    listed = RefundQueries(app).refunds(None, where).found
    return [app.get(UUID(row["id"])) for row in listed]


def order_balance(app: RefundLedger) -> OrderBalance:
    balance: OrderBalance = app.repository.get(OrderBalance.id_for(ORDER_ID))
    return balance


def assert_no_errors(outcomes: list[Outcome]) -> None:
    failures = [f"worker {o.worker}: {o.message}" for o in outcomes if o.error is not None]
    assert not failures, "\n".join(failures)
    assert len(outcomes) >= WORKERS


def test_concurrent_requests_never_exceed_the_captured_total(
    make_app: Callable[..., RefundLedger], database_url: str
) -> None:
    app = make_app(database_url)  # creates the schema, as a deployed service would have

    outcomes = run_racers(database_url, REQUESTS_EACH)

    accepted = [o for o in outcomes if o.refund_id is not None]
    refused = [o for o in outcomes if o.refund_id is None]
    assert len(outcomes) == WORKERS * REQUESTS_EACH
    assert {(o.error, o.message and "left to refund" in o.message) for o in refused} == {
        ("AmountExceedsRefundable", True)
    }, refused[:3]
    assert len(accepted) == 10
    assert len({o.worker for o in accepted}) > 1  # they really raced
    stored = stored_refunds(app, RefundFilter(order=ORDER_ID))
    assert sorted(str(r.id) for r in stored) == sorted(o.refund_id or "" for o in accepted)
    live = [r for r in stored if r.status not in ("rejected", "cancelled")]
    assert sum((r.requested_amount for r in live), Decimal(0)) <= Decimal("100.00")
    assert order_balance(app).refundable() == Decimal("0.00")


def test_concurrent_requests_with_one_idempotency_key_make_one_refund(
    make_app: Callable[..., RefundLedger], database_url: str
) -> None:
    app = make_app(database_url)

    outcomes = run_racers(database_url, 1, "race-key-1")

    assert_no_errors(outcomes)
    assert len({o.refund_id for o in outcomes}) == 1
    [refund] = stored_refunds(app, RefundFilter())
    assert str(refund.id) == outcomes[0].refund_id
    assert event_types(app, refund) == ["Requested", "Verified", "Approved"]
    assert order_balance(app).refundable() == Decimal("90.00")


def test_processes_first_using_a_fresh_database_together_all_start(database_url: str) -> None:
    outcomes = run_racers(database_url, 1, cold=True)

    assert_no_errors(outcomes)
    assert len({o.refund_id for o in outcomes}) == WORKERS
