"""Optimistic concurrency (docs/product.md §2.2): a stale writer loses cleanly and never
overwrites."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from eventsourcing.persistence import IntegrityError

from ledger.app.service import RefundLedger
from ledger.domain.errors import IllegalTransition
from ledger.domain.refund import Refund

from .support import AGENT, MANAGER, MANAGER_2, VERIFIER, FakeClock, event_count, event_types, form

AppMaker = Callable[..., RefundLedger]


class InterleavingClock(FakeClock):
    """A clock that lets another writer commit the first time the application reads it.

    `_run` reads the clock after loading the refund and before deciding, so the command
    decides on state that is already stale when it saves.
    """

    def __init__(self, interleave: Callable[[], object]) -> None:
        super().__init__()
        self.interleave: Callable[[], object] | None = interleave
        self.calls = 0

    def __call__(self) -> datetime:
        self.calls += 1
        if self.interleave is not None:
            interleave, self.interleave = self.interleave, None
            interleave()
        return self.now


def pending(app: RefundLedger) -> Refund:
    purchased = str(datetime.now(UTC).date() - timedelta(days=1))
    refund = app.request(
        AGENT, form(amount="700.00", order_total="900.00", reason="damaged", purchased_on=purchased)
    )
    return app.verify(refund.id, VERIFIER, None, None)


def test_stale_save_raises_integrity_error_and_keeps_the_winner(
    make_app: AppMaker, database_url: str
) -> None:
    first, second = make_app(database_url), make_app(database_url)
    refund = pending(first)
    stale = second.get(refund.id)

    first.approve(refund.id, MANAGER, None, "winner")
    stale.reject(MANAGER_2, "loser", second.policy, datetime.now(UTC))
    stored = event_count(first)

    with pytest.raises(IntegrityError):
        second.save(stale)

    assert event_count(first) == stored
    winner = second.get(refund.id)
    assert winner.status == "approved"
    assert event_types(second, winner)[-1] == "Approved"


def test_command_on_stale_state_reruns_and_is_refused_when_no_longer_legal(
    make_app: AppMaker, database_url: str
) -> None:
    first = make_app(database_url)
    refund = pending(first)
    clock = InterleavingClock(lambda: first.approve(refund.id, MANAGER, None, "first"))
    second = make_app(database_url, clock=clock)

    with pytest.raises(IllegalTransition, match="cannot reject a refund that is approved"):
        second.reject(refund.id, MANAGER_2, "too late")

    assert clock.calls == 2  # decided once on stale state, then re-ran on fresh state
    assert event_types(first, first.get(refund.id)).count("Approved") == 1
    assert first.get(refund.id).status == "approved"


def test_command_on_stale_state_reruns_and_succeeds_when_still_legal(
    make_app: AppMaker, database_url: str
) -> None:
    first = make_app(database_url)
    refund = pending(first)
    clock = InterleavingClock(lambda: first.approve(refund.id, MANAGER, None, "first"))
    second = make_app(database_url, clock=clock)

    noted = second.add_note(refund.id, AGENT, "customer called")

    assert clock.calls == 2
    assert noted.status == "approved"
    assert event_types(first, noted)[-2:] == ["Approved", "NoteAdded"]
