"""Across refunds: the audit search, the KPI report and reconciliation of a settlement file."""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from api.deps import Queries, Who, in_thread, lagged
from api.models import TrailEventOut
from api.responses import READ_PROBLEMS, VIEW_LAG
from api.routes.reads import Filter, Moment
from ledger.app import filters
from ledger.app.period import Period
from ledger.domain.errors import InvalidInput
from ledger.reconcile.settlements import COLUMNS, SettlementFile, parse_settlement_bytes

router = APIRouter(tags=["reports"], responses=READ_PROBLEMS)
CSV_TYPES = ("text/csv", "text/plain", "application/csv")


@router.get(
    "/audit/search",
    name="audit_search",
    response_model=list[TrailEventOut],
    responses=VIEW_LAG,
)
@in_thread
def audit_search(
    response: Response,
    queries: Queries,
    who: Who,
    actor: Filter = None,
    type: Filter = None,
    refund: Filter = None,
    since: Moment = None,
    until: Moment = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
) -> list[dict[str, Any]]:
    """Refund events across refunds, oldest first, by actor, type, refund and time."""
    where = partial(filters.trail_filter, actor, type, refund, since, until)
    return lagged(response, queries.search_trail(who, where, limit))


@router.get("/reports/kpis", name="kpis", responses=VIEW_LAG)
@in_thread
def kpi_report(
    response: Response, queries: Queries, who: Who, since: Moment = None, until: Moment = None
) -> dict[str, Any]:
    """The KPIs of the refunds requested in the period, as `ledger report kpis --json`."""
    period = partial(Period.parse, since, until)
    return lagged(response, queries.kpis(who, period))


@router.post(
    "/reconciliations",
    name="reconcile",
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": f"The provider's settlement file: CSV with a header naming "
            f"{', '.join(COLUMNS)}.",
            "content": {"text/csv": {"schema": {"type": "string"}}},
        }
    },
    responses={**VIEW_LAG, 415: {"description": "The body is not text/csv"}},
)
@in_thread
def reconciliation(
    request: Request,
    response: Response,
    queries: Queries,
    who: Who,
    since: Moment = None,
    until: Moment = None,
) -> dict[str, Any]:
    """Match a settlement file to the payouts, as `ledger reconcile --json`; nothing changes."""

    def settlements() -> tuple[SettlementFile, Period]:
        period = Period.parse(since, until)
        media = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if media not in CSV_TYPES:
            raise UnsupportedMediaType(media)
        return parse_settlement_bytes(request.state.body), period

    return lagged(response, queries.reconciliation(who, settlements))


class UnsupportedMediaType(InvalidInput):
    code = "unsupported-media-type"

    def __init__(self, media: str) -> None:
        super().__init__(f"send the settlement file as text/csv, not {media or 'no media type'}")
