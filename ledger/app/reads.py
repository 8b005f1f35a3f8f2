"""Reading refunds, for every interface: who may read which refund (access.py) and what the
reader is shown (views.py), decided here once. A `viewer` of None is the operator at the CLI,
who reads everything in full."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from ledger.app import access
from ledger.app.views import history_view, refund_view
from ledger.projections import queries

if TYPE_CHECKING:
    from ledger.app.service import RefundLedger
    from ledger.domain.actor import Actor
    from ledger.domain.refund import Refund
    from ledger.store.tracking import ViewStore


def show(
    app: RefundLedger, viewer: Actor | None, refund_id: UUID, moment: datetime | None = None
) -> dict[str, Any]:
    """The refund now, or as it stood at `moment`, once `viewer` may see it (judged by the
    refund as it is now)."""
    if moment is None:
        return refund_view(_readable(app, viewer, refund_id), viewer)
    if viewer is not None:
        _readable(app, viewer, refund_id)
    return refund_view(app.as_of(refund_id, moment), viewer)


def history(app: RefundLedger, viewer: Actor | None, refund_id: UUID) -> list[dict[str, Any]]:
    """The refund's events, oldest first, once `viewer` may see the refund."""
    if viewer is not None:
        _readable(app, viewer, refund_id)
    return history_view(app.history(refund_id), viewer)


def listing(
    store: ViewStore, viewer: Actor | None, where: queries.RefundFilter, page: queries.Page
) -> list[dict[str, Any]]:
    """Refunds from the status view, oldest first: a customer's own only."""
    if viewer is not None:
        access.require_reader(viewer, "refunds")
        where = queries.RefundFilter(**{**vars(where), "owner": access.own_customer(viewer)})
    return [refund_view(row, viewer) for row in queries.list_refunds(store, where, page)]


def _readable(app: RefundLedger, viewer: Actor | None, refund_id: UUID) -> Refund:
    """The refund, if `viewer` may read it (to a customer, another's refund is not found)."""
    found = app.get(refund_id)
    return found if viewer is None else access.visible(viewer, found)
