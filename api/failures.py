"""The answer to a request that failed unexpectedly: a database that is away or full is named
as such (503 `database-unavailable`, 507 `storage-unavailable`); anything else is a 500
that names the request id."""

from __future__ import annotations

import logging
import sqlite3
from typing import Any

import psycopg
from eventsourcing.persistence import PersistenceError
from starlette.types import Scope

from api import problems
from ledger.store.failures import Failure, classify

logger = logging.getLogger("ledger.api")
DATABASE_ERRORS = (PersistenceError, sqlite3.Error, psycopg.Error)


def failure_response(error: Exception, request_id: str, scope: Scope) -> Any:
    failure = classify(error) if isinstance(error, DATABASE_ERRORS) else None
    if failure is not None:
        return _environment(failure, request_id, scope)
    if isinstance(error, DATABASE_ERRORS):
        logger.error("%s database error: %s", request_id, " ".join(str(error).split()))
        return problems.named(
            "database-unavailable", "the ledger's database did not answer; try again", request_id
        )
    logger.exception("%s failed", request_id)
    return problems.named(
        "internal-error",
        "unexpected failure; quote the request id when reporting it",
        request_id,
    )


def _environment(failure: Failure, request_id: str, scope: Scope) -> Any:
    """507 when the database cannot store (full, read-only), 503 when it does not answer;
    a lost database also renews the pool's connections, so that recovery needs no restart."""
    logger.error("%s %s", request_id, failure.message)
    if failure.of_storage:
        detail = f"{failure.message}; nothing was stored"
        return problems.named("storage-unavailable", detail, request_id)
    services = getattr(getattr(scope.get("app"), "state", None), "services", None)
    if failure.kind == "unreachable" and services is not None:
        services.database_lost()
    return problems.named("database-unavailable", f"{failure.message}; try again", request_id)
