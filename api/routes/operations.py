"""For operators: health (no token needed) and metrics (an auditor or system token, unless
the server runs with `--public-metrics`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from fastapi.security import HTTPAuthorizationCredentials

from api import metrics, problems
from api.deps import Queries, bearer, in_thread
from api.middleware import NO_TOKEN
from api.models import Health, HealthCheck
from api.responses import READ_PROBLEMS, Problem
from ledger.app.access import require_reader
from ledger.app.health import Check
from ledger.app.tokens import InvalidToken
from ledger.domain.actor import Actor

router = APIRouter(tags=["operations"])


UNHEALTHY = {
    "description": "A check failed: a problem document (`database-unavailable` when the "
    "database does not answer, `storage-unavailable` when it takes no writes) whose "
    "`failed` names the check and whose `checks` are those of the 200 answer.",
    "model": Problem,
    "content": {problems.PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
}


@router.get("/healthz", name="health", response_model=Health, responses={503: UNHEALTHY})
@in_thread
def health(request: Request, queries: Queries) -> Response | Health:
    """Within a second: does the database answer, does it take writes (not read-only, not
    full), and how many stored events have the views not seen. 200 when all is well, 503
    naming the check that failed."""
    report = queries.health()
    checks = [HealthCheck(name=c.name, ok=c.ok, detail=c.detail) for c in report.checks]
    failing = report.failing
    if failing is not None:
        return _unhealthy(failing, checks, getattr(request.state, "request_id", None))
    lag = report.lag or 0
    return Health(status="ok", database="ok", writable="ok", views_lag=lag, checks=checks)


def _unhealthy(failing: Check, checks: list[HealthCheck], request_id: str | None) -> Response:
    """503 with the problem of the first check that failed, naming it (`failed`)."""
    code = "storage-unavailable" if failing.name == "writable" else "database-unavailable"
    return problems.problem(
        503,
        code,
        f"{failing.name}: {failing.detail}",
        request_id,
        title=problems.TITLES[code][1],
        failed=failing.name,
        checks=[check.model_dump() for check in checks],
    )


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
