"""An order capture's idempotency key (issue 13), on both back ends: saved with the capture's
events (alone when the capture changed nothing), and a retry with it gets the first result
back, the order as that capture left it and whether it changed anything, without storing."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest

from ledger.app.keys import Keyed
from ledger.app.orders import OrderCapture, order_out
from ledger.app.service import RefundLedger
from ledger.domain.actor import Actor
from ledger.domain.errors import IdempotencyConflict
from ledger.domain.order import OrderBalance

from .support import AGENT, event_count, form

SHOP = Actor.parse("system:shop")
FACTS = ("O-1", "C-1", "48.00", "EUR", "2025-01-02")


def capture(*fields: str) -> OrderCapture:
    return OrderCapture.parse(*(fields or FACTS))


def test_a_retry_with_the_key_returns_the_first_result_and_stores_nothing(
    app: RefundLedger,
) -> None:
    first, changed = app.capture_order(SHOP, capture(), Keyed("k-1"))
    stored, shown = event_count(app), order_out(first)

    retry = Keyed("k-1")
    again, changed_again = app.capture_order(SHOP, capture(), retry)

    assert changed and changed_again and retry.replayed
    assert order_out(again) == shown and again.version == 1
    assert event_count(app) == stored


def test_the_first_result_comes_back_after_the_order_moved_on(app: RefundLedger) -> None:
    first, _ = app.capture_order(SHOP, capture(), Keyed("k-1"))
    shown = order_out(first)
    app.capture_order(SHOP, capture(*FACTS, "1 Mill Road"))  # fills in the address
    app.request(AGENT, form(order_total="48.00", purchased_on=None))  # holds part of it

    again, changed = app.capture_order(SHOP, capture(), Keyed("k-1"))

    assert changed and order_out(again) == shown
    assert app.get_order("O-1").version > first.version


def test_the_same_key_with_other_facts_is_refused_and_stores_nothing(app: RefundLedger) -> None:
    app.capture_order(SHOP, capture(), Keyed("k-1"))
    stored = event_count(app)

    for other in (capture(*FACTS, "1 Mill Road"), capture("O-2", *FACTS[1:])):
        with pytest.raises(IdempotencyConflict, match="'k-1' was already used"):
            app.capture_order(SHOP, other, Keyed("k-1"))

    assert event_count(app) == stored
    assert app.get_order("O-1").address is None
    assert app.find_orders(["O-2"]) == {}


def test_a_capture_that_changed_nothing_records_its_key_alone(app: RefundLedger) -> None:
    app.capture_order(SHOP, capture())
    stored = event_count(app)

    first, changed = app.capture_order(SHOP, capture(), Keyed("k-1"))

    assert not changed and first.version == 1
    assert event_count(app) == stored + 1  # the key, and nothing of the order
    retry = Keyed("k-1")
    again, changed_again = app.capture_order(SHOP, capture(), retry)
    assert retry.replayed and not changed_again and order_out(again) == order_out(first)
    with pytest.raises(IdempotencyConflict):  # facts that would fill in the address
        app.capture_order(SHOP, capture(*FACTS, "1 Mill Road"), Keyed("k-1"))
    assert event_count(app) == stored + 1
    assert app.get_order("O-1").address is None


def test_a_refused_capture_records_no_key(app: RefundLedger) -> None:
    app.capture_order(SHOP, capture())
    stored = event_count(app)

    with pytest.raises(Exception, match="recorded with order total 48.00 EUR"):
        app.capture_order(SHOP, capture("O-1", "C-1", "50.00", "EUR"), Keyed("k-1"))

    assert event_count(app) == stored
    _, changed = app.capture_order(SHOP, capture(*FACTS, "1 Mill Road"), Keyed("k-1"))
    assert changed  # the key was free: this capture ran


def test_the_key_is_kept_in_the_database_not_in_the_process(
    app: RefundLedger, make_app: Callable[..., RefundLedger], database_url: str
) -> None:
    first, _ = app.capture_order(SHOP, capture(), Keyed("k-1"))
    stored = event_count(app)
    restarted = make_app(database_url)

    retry = Keyed("k-1")
    again, changed = restarted.capture_order(SHOP, capture(), retry)

    assert retry.replayed and changed and order_out(again) == order_out(first)
    assert event_count(restarted) == stored


def test_a_key_belongs_to_its_actor(app: RefundLedger) -> None:
    app.capture_order(SHOP, capture(), Keyed("k-1"))

    other = Keyed("k-1")
    _, changed = app.capture_order(AGENT, capture(), other)

    assert not other.replayed and not changed


def test_a_key_is_one_command_s_across_refunds_and_orders(app: RefundLedger) -> None:
    refund_id = app.request(AGENT, form()).id
    app.add_note(refund_id, AGENT, "called", None, Keyed("k-note"))
    app.capture_order(AGENT, capture("O-9", *FACTS[1:]), Keyed("k-order"))
    stored = event_count(app)

    with pytest.raises(IdempotencyConflict, match="'k-note' was already used"):
        app.capture_order(AGENT, capture(), Keyed("k-note"))
    with pytest.raises(IdempotencyConflict, match="'k-order' was already used"):
        app.add_note(refund_id, AGENT, "called", None, Keyed("k-order"))
    with pytest.raises(IdempotencyConflict, match="'k-order' was already used"):
        app.request(AGENT, form(order_id="O-3"), Keyed("k-order"))

    assert event_count(app) == stored


def test_racing_retries_with_one_key_store_the_capture_once(app: RefundLedger) -> None:
    results: list[tuple[OrderBalance, bool]] = []

    def run() -> None:
        results.append(app.capture_order(SHOP, capture(), Keyed("race")))

    threads = [threading.Thread(target=run) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(results) == 6
    assert {(order.version, changed) for order, changed in results} == {(1, True)}
    assert event_count(app) == 2  # the order's one event and the key's
    assert app.get_order("O-1").version == 1
