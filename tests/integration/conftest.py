"""Fixtures of the application tests: a test clock and the app on each back end."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from ledger.app.service import RefundLedger

from .support import FakeClock


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def app(make_app: Callable[..., RefundLedger], database_url: str, clock: FakeClock) -> RefundLedger:
    """The application on the parametrised back end, driven by the test's clock."""
    return make_app(database_url, clock=clock)
