"""Reading refunds: one (now or as of a time), its history, and lists with filters."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request, Response

from api.deps import Ledger, Views, Who, in_thread
from api.models import EventOut, RefundOut
from api.responses import READ_PROBLEMS
from ledger.app import access, filters, inputs
from ledger.app.views import event_out, refund_out
from ledger.projections import queries

router = APIRouter(tags=["refunds"], responses=READ_PROBLEMS)
Filter = Annotated[str | None, Query(max_length=200)]
Moment = Annotated[str | None, Query(max_length=64, description="ISO 8601; UTC without a zone.")]


@router.get("/refunds/{refund_id}", name="show", response_model=RefundOut)
@in_thread
def show(refund_id: str, ledger: Ledger, who: Who, as_of: Moment = None) -> dict[str, Any]:
    """The refund now, or exactly as it stood at `as_of` (replayed from its events)."""
    found = inputs.refund_id(refund_id)
    moment = None if as_of is None else inputs.moment(as_of, "as_of")
    now = access.visible(who, ledger.get(found))
    return refund_out(now if moment is None else ledger.as_of(found, moment))


@router.get("/refunds/{refund_id}/history", name="history", response_model=list[EventOut])
@in_thread
def history(refund_id: str, ledger: Ledger, who: Who) -> list[dict[str, Any]]:
    """Every stored event of the refund, oldest first."""
    found = inputs.refund_id(refund_id)
    access.visible(who, ledger.get(found))
    return [event_out(event) for event in ledger.history(found)]


@router.get("/refunds", name="list", response_model=list[RefundOut])
@in_thread
def list_refunds(
    request: Request,
    response: Response,
    views: Views,
    who: Who,
    status: Filter = None,
    customer: Filter = None,
    order: Filter = None,
    reason: Filter = None,
    tier: Filter = None,
    since: Moment = None,
    until: Moment = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    cursor: Annotated[
        str | None, Query(max_length=64, description="The last id of a page.")
    ] = None,
) -> list[dict[str, Any]]:
    """Refunds oldest first, filtered; a customer sees only theirs. When more remain, the
    `Link` header (rel="next") and `X-Next-Cursor` name the next page."""
    access.require_reader(who, "refunds")
    where = filters.refund_filter(status, customer, order, reason, tier, since, until, prefix="")
    where = queries.RefundFilter(**{**vars(where), "owner": access.own_customer(who)})
    after = None if cursor is None else str(inputs.refund_id(cursor))
    page = queries.Page(limit=limit + 1, after=after)  # one more tells whether a next page exists
    found = queries.list_refunds(views.fresh("status"), where, page)
    if len(found) > limit:
        found = found[:limit]
        _link_next(request, response, found[-1]["id"])
    return found


def _link_next(request: Request, response: Response, last: str) -> None:
    query = {**request.query_params, "cursor": last}
    response.headers["Link"] = f'<{request.url.path}?{urlencode(query)}>; rel="next"'
    response.headers["X-Next-Cursor"] = last
