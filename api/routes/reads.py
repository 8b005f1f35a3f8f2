"""Reading refunds: one (now or as of a time), its history, and lists with filters."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request, Response

from api.deps import Queries, Who, in_thread, lagged
from api.models import EventView, RefundView
from api.responses import READ_PROBLEMS, VIEW_LAG
from ledger.app import filters, inputs
from ledger.app.queries import Page

router = APIRouter(tags=["refunds"], responses=READ_PROBLEMS)
Filter = Annotated[str | None, Query(max_length=200)]
Moment = Annotated[str | None, Query(max_length=64, description="ISO 8601; UTC without a zone.")]


@router.get("/refunds/{refund_id}", name="show", response_model=RefundView)
@in_thread
def show(refund_id: str, queries: Queries, who: Who, as_of: Moment = None) -> dict[str, Any]:
    """The refund now, or exactly as it stood at `as_of` (replayed from its events); a
    customer sees the customer view."""
    found = inputs.refund_id(refund_id)
    moment = None if as_of is None else inputs.moment(as_of, field="as_of")
    return queries.show(who, found, moment)


@router.get(
    "/refunds/{refund_id}/history",
    name="history",
    response_model=list[EventView],
    response_model_exclude_unset=True,  # a customer's event has only the keys it is shown
)
@in_thread
def history(refund_id: str, queries: Queries, who: Who) -> list[dict[str, Any]]:
    """Every stored event of the refund, oldest first; a customer sees the customer view
    (its wholly internal events left out)."""
    return queries.history(who, inputs.refund_id(refund_id))


@router.get("/refunds", name="list", response_model=list[RefundView], responses=VIEW_LAG)
@in_thread
def list_refunds(
    request: Request,
    response: Response,
    queries: Queries,
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
    """Refunds oldest first, filtered; a customer sees only theirs, in the customer view.
    When more remain, the `Link` header (rel="next") and `X-Next-Cursor` name the next page.
    `X-View-Lag`: stored events the listing has not seen (not 0 only when the database takes
    no writes, so that the view could not be caught up first)."""
    where = filters.refund_filter(status, customer, order, reason, tier, since, until)
    after = None if cursor is None else str(inputs.refund_id(cursor))
    page = Page(limit=limit + 1, after=after)  # one more tells whether a next page exists
    found = lagged(response, queries.refunds(who, where, page))
    if len(found) > limit:
        found = found[:limit]
        _link_next(request, response, found[-1]["id"])
    return found


def _link_next(request: Request, response: Response, last: str) -> None:
    query = {**request.query_params, "cursor": last}
    response.headers["Link"] = f'<{request.url.path}?{urlencode(query)}>; rel="next"'
    response.headers["X-Next-Cursor"] = last
