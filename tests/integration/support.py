"""Small builders shared by the integration tests: request forms, actors, event counts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from ledger.app.commands import ItemIn, RefundRequestIn
from ledger.app.service import RefundLedger
from ledger.domain.actor import Actor
from ledger.store.replays import ReplayStore
from ledger.store.tracking import open_store

AGENT = Actor.parse("agent:ann")
VERIFIER = Actor.parse("verifier:vic")
MANAGER = Actor.parse("manager:bob")
MANAGER_2 = Actor.parse("manager:mia")
FINANCE = Actor.parse("finance:fay")
FINANCE_2 = Actor.parse("finance:fred")
DISPUTES = Actor.parse("disputes:dora")


class FakeClock:
    """A clock that stands still until a test moves it; callable like `utc_now`."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime.now(UTC).replace(microsecond=0)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


def form(**overrides: Any) -> RefundRequestIn:
    """A valid request (billing error: no goods come back), with fields overridden."""
    fields: dict[str, Any] = {
        "order_id": "O-1",
        "customer_id": "C-1",
        "amount": "30.00",
        "currency": "EUR",
        "order_total": "100.00",
        "reason": "billing_error",
    }
    fields.update(overrides)
    fields["items"] = [ItemIn.parse(item) for item in fields.get("items", ())]  # SKU:QTY
    return RefundRequestIn.model_validate(fields)


def event_count(app: RefundLedger) -> int:
    """How many events the store holds (every aggregate), read from the notification log."""
    count, start = 0, 0
    while page := app.recorder.select_notifications(
        start=start, limit=1000, inclusive_of_start=False
    ):
        count += len(page)
        start = page[-1].id
    return count


def event_types(app: RefundLedger, refund: Any) -> list[str]:
    return [type(event).__name__ for event in app.history(refund.id)]


@pytest.fixture(name="database_url", params=("sqlite", "postgres"), ids=("sqlite", "postgres"))
def shared_database_url(request: pytest.FixtureRequest) -> str:
    """`database_url` for a module whose tests share the database with processes of their
    own: the SQLite file and PostgreSQL, not the in-memory store (import it as it is named)."""
    return str(request.getfixturevalue(f"{request.param}_url"))


def replays_on(app: RefundLedger) -> ReplayStore:
    """The store of Idempotency-Keys on the app's database and clock, owned by this process."""
    return ReplayStore(open_store(app), app.clock)
