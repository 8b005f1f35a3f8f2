"""For operators: health (no token needed) and metrics (an auditor or system token, unless
the server runs with `--public-metrics`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from fastapi.security import HTTPAuthorizationCredentials
from psycopg import sql

from api import metrics, problems
from api.deps import Views, bearer, in_thread
from api.middleware import NO_TOKEN
from api.models import Health
from api.responses import READ_PROBLEMS
from ledger.access.tokens import InvalidToken
from ledger.app.access import require_reader
from ledger.domain.actor import Actor

router = APIRouter(tags=["operations"])


@router.get(
    "/healthz",
    name="health",
    response_model=Health,
    responses={503: {"description": "The database cannot be reached"}},
)
@in_thread
def health(views: Views) -> Response | Health:
    """200 when the database answers a query, 503 otherwise."""
    try:
        with views.projections.store.reading() as db:
            db.rows(sql.SQL("SELECT 1 AS ok"))
    except Exception as error:  # any failure to reach it is the answer, not a crash
        detail = f"the database did not answer: {type(error).__name__}"
        return problems.named("database-unavailable", detail)
    return Health(status="ok", database="ok")


async def metrics_reader(
    request: Request,
    _documented: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> None:
    """Let the request through when the metrics are public or its actor may read them."""
    if request.app.state.public_metrics:
        return
    found = getattr(request.state, "auth", None)
    if not isinstance(found, Actor):
        raise InvalidToken(NO_TOKEN)  # Authenticate answers first: /metrics is not public
    require_reader(found, "metrics")


@router.get(
    "/metrics",
    name="metrics",
    response_class=Response,
    dependencies=[Depends(metrics_reader)],
    responses={status: READ_PROBLEMS[status] for status in (401, 403)},
)
@in_thread
def prometheus() -> Response:
    """Requests, latencies and commands by outcome, in the Prometheus text format; needs an
    auditor or system token unless the server runs with `--public-metrics`."""
    return Response(metrics.exposition(), media_type=metrics.CONTENT_TYPE)
