"""RefundQueries: every read, for every interface, beside the command service RefundLedger.

Who may read what (access.py), what each reader is shown (views.py), owner scoping, and the
catch-up of the views before a read of them are decided here, once. A read of the views
answers a `Viewed`: what it found, and how far behind the views were when they could not be
caught up first (the CLI prints the note, HTTP sends `X-View-Lag`). A `viewer` of None is
the operator at the CLI, who reads everything in full.

The reads that only some roles may make (audit search, KPIs, reconciliation) take their
input as `Parse[...]`, a function called once the viewer may read: a refused viewer is
refused whatever it typed, and learns nothing from its input's errors.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any, BinaryIO
from uuid import UUID

from ledger.app import access
from ledger.app.health import HealthProbe, HealthReport
from ledger.app.orders import order_for
from ledger.app.period import Period
from ledger.app.presenters import history_view, refund_view
from ledger.app.viewed import Parse, Viewed
from ledger.domain.vocabulary import Status
from ledger.projections import queries as views
from ledger.projections.freshness import Freshness, catch_up_or_lag
from ledger.projections.kpis import KpiView, summarise
from ledger.projections.queries import Page, RefundFilter, TrailFilter
from ledger.projections.runner import BATCH, Projections, all_views
from ledger.store.lag import ViewState

if TYPE_CHECKING:
    from ledger.app.audit_reads import AuditReads
    from ledger.app.service import RefundLedger
    from ledger.audit.bundle import BundleSummary
    from ledger.audit.chains import Report as ChainReport
    from ledger.audit.log import AuditLog
    from ledger.domain.actor import Actor
    from ledger.domain.refund import Refund
    from ledger.reconcile.matching import LedgerPayout
    from ledger.reconcile.settlements import SettlementFile
    from ledger.store.tracking import ViewStore

__all__ = [
    "BATCH",
    "Freshness",
    "VIEW_NAMES",
    "Page",
    "Parse",
    "RefundFilter",
    "RefundQueries",
    "TrailFilter",
    "ViewState",
    "Viewed",
]
VIEW_NAMES: tuple[str, ...] = tuple(view.name for view in all_views())


class RefundQueries:
    """The reads of one application's database: its events through the `RefundLedger`, its
    read models through the projections (opened, and their tables created, on first use).
    `projections` and `health` give the process's own (the container's); without them the
    service opens its own."""

    def __init__(
        self,
        ledger: RefundLedger,
        projections: Callable[[], Projections] | None = None,
        health: Callable[[], HealthProbe] | None = None,
        audit_log: Callable[[], AuditLog] | None = None,
    ) -> None:
        self.ledger = ledger
        self._open_log = audit_log or (lambda: _audit_log(ledger, self.store))
        self._open_projections = projections or (lambda: Projections(ledger))
        self._open_health = health or (lambda: HealthProbe(self.projections))
        self._projections: Projections | None = None
        self._health: HealthProbe | None = None
        self._opening = threading.RLock()  # the probe opens the projections
        self._catching_up = threading.Lock()  # one catch-up at a time per process

    @property
    def projections(self) -> Projections:
        """The projections runner of the read models (`ledger projections run|rebuild`)."""
        if self._projections is None:
            with self._opening:
                if self._projections is None:
                    self._projections = self._open_projections()
        return self._projections

    @property
    def store(self) -> ViewStore:
        """The read models' store."""
        return self.projections.store

    @cached_property
    def audit(self) -> AuditReads:
        """The reads of the audit log: checkpoints, proofs, receipts, verification."""
        from ledger.app.audit_reads import AuditReads

        return AuditReads(self.ledger, self._open_log, lambda: self.projections)

    # --- one refund, from its events ---

    def show(
        self, viewer: Actor | None, refund_id: UUID, moment: datetime | None = None
    ) -> dict[str, Any]:
        """The refund now, or as it stood at `moment`, once `viewer` may see it (judged by
        the refund as it is now)."""
        if moment is None:
            return refund_view(self._readable(viewer, refund_id), viewer)
        if viewer is not None:
            self._readable(viewer, refund_id)
        return refund_view(self.ledger.as_of(refund_id, moment), viewer)

    def history(self, viewer: Actor | None, refund_id: UUID) -> list[dict[str, Any]]:
        """The refund's events, oldest first, once `viewer` may see the refund."""
        if viewer is not None:
            self._readable(viewer, refund_id)
        return history_view(self.ledger.history(refund_id), viewer)

    def order(self, viewer: Actor | None, order_id: str) -> dict[str, Any]:
        """The order: to a customer only their own exist (another's is not found)."""
        if viewer is not None:
            access.require_reader(viewer, "refunds")
        return order_for(viewer, self.ledger.get_order(order_id))

    # --- across refunds, from the read models ---

    def refunds(
        self, viewer: Actor | None, where: RefundFilter, page: Page | None = None
    ) -> Viewed[list[dict[str, Any]]]:
        """Refunds from the status view, oldest first: to a customer, only their own, in the
        customer view."""
        if viewer is not None:
            access.require_reader(viewer, "refunds")
            where = replace(where, owner=access.own_customer(viewer))
        fresh = self._fresh("status")
        found = views.list_refunds(self.store, where, page or Page())
        return Viewed([refund_view(row, viewer) for row in found], fresh)

    def order_refunds(
        self, viewer: Actor | None, order_id: str, page: Page | None = None
    ) -> Viewed[list[dict[str, Any]]]:
        """The order's refunds, oldest first, as `refunds` lists them."""
        return self.refunds(viewer, RefundFilter(order=order_id), page)

    def sla_candidates(self) -> Viewed[list[UUID]]:
        """The refunds the SLA sweep looks at: those the status view lists as pending
        approval (the sweep itself judges each one from its events)."""
        fresh = self._fresh("status")
        where = RefundFilter(status=Status.PENDING_APPROVAL)
        found = views.list_refunds(self.store, where, Page())
        return Viewed([UUID(row["id"]) for row in found], fresh)

    def search_trail(
        self, viewer: Actor | None, where: Parse[TrailFilter], limit: int | None = None
    ) -> Viewed[list[dict[str, Any]]]:
        """Refund events across refunds, in the order they were stored (`audit search`)."""
        self._may(viewer, "audit_search")
        found = where()
        fresh = self._fresh("decision_trail")
        return Viewed(views.search_trail(self.store, found, Page(limit=limit)), fresh)

    def kpis(self, viewer: Actor | None, period: Parse[Period]) -> Viewed[dict[str, Any]]:
        """The KPIs of the refunds requested in the period, and the period (`report kpis`)."""
        self._may(viewer, "kpis")
        span = period()
        fresh = self._fresh(KpiView.name)
        summary = summarise(views.kpi_rows(self.store, span.since, span.until))
        return Viewed({**summary, "period": span.to_json()}, fresh)

    def reconciliation(
        self, viewer: Actor | None, settlements: Parse[tuple[SettlementFile, Period]]
    ) -> Viewed[dict[str, Any]]:
        """A settlement file, parsed in memory, and the period of the payouts that count as
        missing at the provider, matched to the payouts; nothing changes."""
        from ledger.reconcile.report import reconcile  # loaded only to reconcile

        self._may(viewer, "reconcile")
        parsed, period = settlements()
        payouts = self.payouts(None)
        return Viewed(reconcile(parsed, payouts.found, period), payouts.freshness)

    # --- the tamper evidence of the stored events ---

    def verify_chains(self) -> ChainReport:
        """Every refund's hash chain and the checkpoint of chain heads (`audit verify`)."""
        from ledger.audit.rows import verify_store  # the audit loads only for an audit

        return verify_store(self.ledger)

    def export_bundle(self, refund_ids: Sequence[UUID], out: BinaryIO) -> BundleSummary:
        """The audit bundle of the given refunds (all when none), written to `out`."""
        from ledger.audit.bundle import export_bundle

        return export_bundle(self.ledger, refund_ids, out, self.ledger.policy, self._open_log())

    # --- the read models themselves ---

    def view_states(self) -> list[ViewState]:
        """Each view's position, the newest notification id, and its lag."""
        return self.projections.states()

    def health(self) -> HealthReport:
        """What /healthz reports: the database answers and takes writes; the views' lag."""
        if self._health is None:
            with self._opening:
                self._health = self._health or self._open_health()
        return self._health.check()

    def payouts(self, viewer: Actor | None) -> Viewed[list[LedgerPayout]]:
        """The payouts that carry a provider reference, oldest first: what a settlement file
        is matched against (`ledger reconcile` asks once it has read the file)."""
        self._may(viewer, "reconcile")
        from ledger.reconcile.matching import LedgerPayout

        fresh = self._fresh("payouts")
        rows = views.referenced_payouts(self.store)
        return Viewed([LedgerPayout.from_row(row) for row in rows], fresh)

    def _fresh(self, *names: str) -> Freshness:
        """Catch the named views up with every stored event first, so a read sees every write
        answered before it; when the database will not take the views' writes (disk full,
        read-only), how far behind they stand instead."""
        projections = self.projections
        with self._catching_up:
            return catch_up_or_lag(projections, *names)

    def _may(self, viewer: Actor | None, what: access.Read) -> None:
        if viewer is not None:
            access.require_reader(viewer, what)

    def _readable(self, viewer: Actor | None, refund_id: UUID) -> Refund:
        """The refund, if `viewer` may read it (to a customer, another's refund is not found)."""
        found = self.ledger.get(refund_id)
        return found if viewer is None else access.visible(viewer, found)


def _audit_log(ledger: RefundLedger, store: ViewStore) -> AuditLog:
    from ledger.audit.log import AuditLog

    return AuditLog(ledger, store)
