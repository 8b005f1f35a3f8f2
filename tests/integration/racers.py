"""Worker processes for the concurrency tests: each races the others on one database.

Module-level functions, so that `multiprocessing` (spawn) can import them in a fresh
interpreter. Every outcome goes back to the test as plain data through a queue.
"""

from __future__ import annotations

import traceback
from dataclasses import dataclass
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier
from typing import Any

from ledger.app.commands import RefundRequestIn
from ledger.app.keys import Keyed
from ledger.bootstrap import bootstrap
from ledger.config import Settings
from ledger.domain.actor import Actor
from ledger.domain.errors import LedgerError

ORDER_ID = "O-RACE"


@dataclass(frozen=True)
class Outcome:
    """What one command did in a worker: the refund it made, or the error it raised."""

    worker: int
    refund_id: str | None = None
    status: str | None = None
    error: str | None = None
    message: str | None = None


def race_requests(
    database_url: str,
    worker: int,
    requests: int,
    idempotency_key: str | None,
    cold: bool,
    barrier: Barrier,
    results: Queue[list[Outcome]],
) -> None:
    """Wait for every worker, then request `requests` refunds of 10.00 on ORDER_ID.

    `cold`: start the application only after the barrier, so that every worker also races
    to create the schema of a fresh database.
    """
    outcomes: list[Outcome] = []
    settings = Settings(database_url=database_url)
    try:
        warm = None if cold else bootstrap(settings).ledger
        barrier.wait(timeout=60)
        app = warm or bootstrap(settings).ledger
        try:
            outcomes.extend(_request(app, worker, idempotency_key) for _ in range(requests))
        finally:
            app.close()
    except Exception as error:  # reported to the test, which fails with the message
        outcomes.append(_unexpected(worker, error))
    finally:
        results.put(outcomes)


def _request(app: Any, worker: int, idempotency_key: str | None) -> Outcome:
    form = dict(
        order_id=ORDER_ID,
        customer_id="C-RACE",  # an order has one owner: every request restates it
        amount="10.00",
        currency="EUR",
        order_total="100.00",
        reason="billing_error",
    )
    key = None if idempotency_key is None else Keyed(idempotency_key)
    try:
        refund = app.request(Actor.parse("agent:racer"), RefundRequestIn.model_validate(form), key)
    except LedgerError as error:
        return Outcome(worker, error=type(error).__name__, message=error.message)
    except Exception as error:  # reported to the test, which fails with the message
        return _unexpected(worker, error)
    return Outcome(worker, refund_id=str(refund.id), status=refund.status)


def _unexpected(worker: int, error: Exception) -> Outcome:
    where = "".join(traceback.format_exception(error, limit=-6))
    return Outcome(worker, error=type(error).__name__, message=f"{error!r}\n{where}")
