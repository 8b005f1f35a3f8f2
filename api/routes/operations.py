"""For operators: health and metrics (no token needed; expose them only where you mean to)."""

from __future__ import annotations

from fastapi import APIRouter, Response
from psycopg import sql

from api import metrics, problems
from api.deps import Views, in_thread
from api.models import Health

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


@router.get("/metrics", name="metrics", response_class=Response)
@in_thread
def prometheus() -> Response:
    """Requests, latencies and commands by outcome, in the Prometheus text format."""
    return Response(metrics.exposition(), media_type=metrics.CONTENT_TYPE)
