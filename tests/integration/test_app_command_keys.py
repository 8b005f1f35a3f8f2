"""Idempotency keys on every command (issue 13): the key is saved with the command's events,
and a retry with it gets the first result back instead of running the command again."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from uuid import UUID

import pytest

from ledger.app.keys import Keyed
from ledger.app.presenters import refund_view
from ledger.app.service import RefundLedger
from ledger.domain.actor import Actor
from ledger.domain.errors import IdempotencyConflict
from ledger.domain.refund import Refund

from .support import AGENT, DISPUTES, FINANCE, MANAGER, VERIFIER, event_count, form

FINANCE_3 = Actor.parse("finance:finn")
Setup = Callable[[RefundLedger], UUID]
Run = Callable[[RefundLedger, UUID, Keyed], Refund]


def requested(app: RefundLedger) -> UUID:
    return app.request(AGENT, form(amount="80.00")).id  # above 50.00: a manager approves


def goods_back(app: RefundLedger) -> UUID:
    return app.request(AGENT, form(reason="damaged", purchased_on="2026-11-20")).id


def approved(app: RefundLedger) -> UUID:
    return app.request(AGENT, form()).id  # 30.00, a billing error: approved at once


def paying(app: RefundLedger) -> UUID:
    refund_id = approved(app)
    app.start_payout(refund_id, FINANCE, None)
    return refund_id


def rejected(app: RefundLedger) -> UUID:
    refund_id = requested(app)
    app.reject(refund_id, MANAGER, "no proof")
    return refund_id


def disputed(app: RefundLedger) -> UUID:
    refund_id = rejected(app)
    app.open_dispute(refund_id, AGENT, "the customer sent the proof")
    return refund_id


@dataclass(frozen=True)
class Case:
    setup: Setup
    run: Run
    other: Run  # the same command with other content


CASES = {
    "verify": Case(
        goods_back,
        lambda a, r, k: a.verify(r, VERIFIER, "as new", None, k),
        lambda a, r, k: a.verify(r, VERIFIER, "scratched", None, k),
    ),
    "approve": Case(
        requested,
        lambda a, r, k: a.approve(r, MANAGER, None, "ok", k),
        lambda a, r, k: a.approve(r, MANAGER, Decimal("70.00"), "ok", k),
    ),
    "reject": Case(
        requested,
        lambda a, r, k: a.reject(r, MANAGER, "no proof", k),
        lambda a, r, k: a.reject(r, MANAGER, "too late", k),
    ),
    "escalate": Case(
        requested,
        lambda a, r, k: a.escalate(r, MANAGER, "needs a second look", k),
        lambda a, r, k: a.escalate(r, MANAGER, "another reason", k),
    ),
    "cancel": Case(
        requested,
        lambda a, r, k: a.cancel(r, AGENT, "customer withdrew", k),
        lambda a, r, k: a.cancel(r, AGENT, "duplicate", k),
    ),
    "payout start": Case(
        approved,
        lambda a, r, k: a.start_payout(r, FINANCE, None, k),
        lambda a, r, k: a.start_payout(r, FINANCE, "bank_transfer", k),
    ),
    "payout settle": Case(
        paying,
        lambda a, r, k: a.settle_payout(r, FINANCE, "PSP-1", k),
        lambda a, r, k: a.settle_payout(r, FINANCE, "PSP-2", k),
    ),
    "payout fail": Case(
        paying,
        lambda a, r, k: a.fail_payout(r, FINANCE, "account closed", None, k),
        lambda a, r, k: a.fail_payout(r, FINANCE, "account closed", "PSP-9", k),
    ),
    "dispute open": Case(
        rejected,
        lambda a, r, k: a.open_dispute(r, AGENT, "proof arrived", k),
        lambda a, r, k: a.open_dispute(r, AGENT, "other proof", k),
    ),
    "dispute resolve": Case(
        disputed,
        lambda a, r, k: a.resolve_dispute(
            r, DISPUTES, "overturned", Decimal("80.00"), "proof ok", k
        ),
        lambda a, r, k: a.resolve_dispute(r, DISPUTES, "upheld", None, "proof ok", k),
    ),
    "note": Case(
        approved,
        lambda a, r, k: a.add_note(r, MANAGER, "called the customer", None, k),
        lambda a, r, k: a.add_note(r, MANAGER, "called the customer twice", None, k),
    ),
}


@pytest.fixture(params=list(CASES), ids=list(CASES))
def case(request: pytest.FixtureRequest) -> Case:
    return CASES[request.param]


def test_a_retry_with_the_key_returns_the_first_result_and_runs_nothing(
    app: RefundLedger, case: Case
) -> None:
    refund_id = case.setup(app)
    first = case.run(app, refund_id, Keyed("k-1"))
    stored, view = event_count(app), refund_view(first, MANAGER)

    retry = Keyed("k-1")
    again = case.run(app, refund_id, retry)

    assert retry.replayed
    assert refund_view(again, MANAGER) == view
    assert event_count(app) == stored


def test_the_first_result_comes_back_after_the_refund_moved_on(
    app: RefundLedger, case: Case
) -> None:
    refund_id = case.setup(app)
    first = case.run(app, refund_id, Keyed("k-1"))
    view = refund_view(first, MANAGER)
    app.add_note(refund_id, FINANCE_3, "later")  # the refund moves on without a key

    again = case.run(app, refund_id, Keyed("k-1"))

    assert refund_view(again, MANAGER) == view
    assert app.get(refund_id).version == first.version + 1


def test_the_same_key_with_other_content_is_refused_and_stores_nothing(
    app: RefundLedger, case: Case
) -> None:
    refund_id = case.setup(app)
    case.run(app, refund_id, Keyed("k-1"))
    stored = event_count(app)

    with pytest.raises(IdempotencyConflict, match="'k-1' was already used"):
        case.other(app, refund_id, Keyed("k-1"))

    assert event_count(app) == stored


def test_the_key_is_kept_in_the_database_not_in_the_process(
    app: RefundLedger, make_app: Callable[..., RefundLedger], database_url: str
) -> None:
    refund_id = approved(app)
    first = app.add_note(refund_id, MANAGER, "called", None, Keyed("k-1"))
    stored = event_count(app)
    restarted = make_app(database_url)

    retry = Keyed("k-1")
    again = restarted.add_note(refund_id, MANAGER, "called", None, retry)

    assert retry.replayed and again.version == first.version
    assert event_count(restarted) == stored


def test_a_key_belongs_to_its_actor(app: RefundLedger) -> None:
    refund_id = approved(app)
    app.add_note(refund_id, MANAGER, "called", None, Keyed("k-1"))

    other = Keyed("k-1")
    app.add_note(refund_id, FINANCE, "called", None, other)

    assert not other.replayed
    notes = [e for e in app.history(refund_id) if type(e).__name__ == "NoteAdded"]
    assert [e.payload.actor for e in notes] == [str(MANAGER), str(FINANCE)]


def test_a_key_used_on_another_refund_is_refused(app: RefundLedger) -> None:
    one, two = approved(app), app.request(AGENT, form(order_id="O-2")).id
    app.add_note(one, MANAGER, "called", None, Keyed("k-1"))
    stored = event_count(app)

    with pytest.raises(IdempotencyConflict):
        app.add_note(two, MANAGER, "called", None, Keyed("k-1"))

    assert event_count(app) == stored


def test_a_refused_command_records_no_key(app: RefundLedger) -> None:
    refund_id = requested(app)
    app.reject(refund_id, MANAGER, "no proof")
    stored = event_count(app)

    with pytest.raises(Exception, match="rejected"):
        app.approve(refund_id, MANAGER, None, None, Keyed("k-1"))

    assert event_count(app) == stored


def test_a_keyed_request_returns_the_refund_as_it_was_first_answered(app: RefundLedger) -> None:
    first = app.request(AGENT, form(amount="80.00"), Keyed("r-1"))
    app.approve(first.id, MANAGER, None, None)

    retry = Keyed("r-1")
    again = app.request(AGENT, form(amount="80.00"), retry)

    assert retry.replayed
    assert (again.status, again.version) == (first.status, first.version)
    assert app.get(first.id).status == "approved"


def test_racing_retries_with_one_key_store_the_command_once(app: RefundLedger) -> None:
    refund_id = approved(app)
    results: list[Refund] = []

    def note() -> None:
        results.append(app.add_note(refund_id, MANAGER, "called", None, Keyed("race")))

    threads = [threading.Thread(target=note) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    notes = [e for e in app.history(refund_id) if type(e).__name__ == "NoteAdded"]
    assert len(notes) == 1
    assert {r.version for r in results} == {notes[0].originator_version}
