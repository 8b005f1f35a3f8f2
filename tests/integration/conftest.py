"""Fixtures of the application tests: a test clock and the app on each back end, and the
`Idempotency-Key` stores on it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack

import pytest

from api.replays import ReplayStore
from ledger.app.service import RefundLedger

from .support import FakeClock


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def app(make_app: Callable[..., RefundLedger], database_url: str, clock: FakeClock) -> RefundLedger:
    """The application on the parametrised back end, driven by the test's clock."""
    return make_app(database_url, clock=clock)


@pytest.fixture
def opened() -> Iterator[Callable[[ReplayStore], ReplayStore]]:
    """Closes every store it is given after the test (each is an owner, with a thread)."""
    with ExitStack() as stack:

        def keep(store: ReplayStore) -> ReplayStore:
            stack.callback(store.close)
            return store

        yield keep


@pytest.fixture
def replays(app: RefundLedger, opened: Callable[[ReplayStore], ReplayStore]) -> ReplayStore:
    """The store of Idempotency-Keys on the app's database, owned by this process."""
    return opened(ReplayStore.open(app))
