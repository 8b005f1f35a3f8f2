"""Across refunds: the audit search, the KPI report and reconciliation of a settlement file."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from api.deps import Views, Who, in_thread
from api.models import TrailEventOut
from api.responses import READ_PROBLEMS, VIEW_LAG
from api.routes.reads import Filter, Moment
from ledger.app import access, filters, inputs
from ledger.app.period import Period
from ledger.domain.errors import InvalidInput
from ledger.projections import kpis, queries
from ledger.reconcile.matching import LedgerPayout
from ledger.reconcile.report import reconcile
from ledger.reconcile.settlements import COLUMNS, parse_settlement_bytes

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
    views: Views,
    who: Who,
    actor: Filter = None,
    type: Filter = None,
    refund: Filter = None,
    since: Moment = None,
    until: Moment = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
) -> list[dict[str, Any]]:
    """Refund events across refunds, oldest first, by actor, type, refund and time."""
    access.require_reader(who, "audit_search")
    where = filters.trail_filter(actor, type, refund, since, until, prefix="")
    return queries.search_trail(
        views.fresh(response, "decision_trail"), where, queries.Page(limit=limit)
    )


@router.get("/reports/kpis", name="kpis", responses=VIEW_LAG)
@in_thread
def kpi_report(
    response: Response, views: Views, who: Who, since: Moment = None, until: Moment = None
) -> dict[str, Any]:
    """The KPIs of the refunds requested in the period, as `ledger report kpis --json`."""
    access.require_reader(who, "kpis")
    period = _period(since, until)
    summary = kpis.summarise(queries.kpi_rows(views.fresh(response, kpis.KpiView.name), period))
    return {**summary, "period": period.to_json()}


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
    views: Views,
    who: Who,
    since: Moment = None,
    until: Moment = None,
) -> dict[str, Any]:
    """Match a settlement file to the payouts, as `ledger reconcile --json`; nothing changes."""
    access.require_reader(who, "reconcile")
    period = _period(since, until)
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media not in CSV_TYPES:
        raise UnsupportedMediaType(media)
    settlements = parse_settlement_bytes(request.state.body)
    rows = queries.referenced_payouts(views.fresh(response, "payouts"))
    return reconcile(settlements, [LedgerPayout.from_row(row) for row in rows], period)


class UnsupportedMediaType(InvalidInput):
    code = "unsupported-media-type"

    def __init__(self, media: str) -> None:
        super().__init__(f"send the settlement file as text/csv, not {media or 'no media type'}")


def _period(since: str | None, until: str | None) -> Period:
    return Period(
        since=None if since is None else inputs.moment(since, "since"),
        until=None if until is None else inputs.moment(until, "until"),
    )
