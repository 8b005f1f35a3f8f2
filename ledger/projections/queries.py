"""Questions answered from the views: refund listings, decision-trail searches, KPI facts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from psycopg import sql

from ledger.domain.errors import InvalidInput
from ledger.projections import kpis, payouts, status, trail
from ledger.projections.base import time_key
from ledger.store.tracking import Db, ViewStore


@dataclass(frozen=True)
class Page:
    """At most `limit` rows after the row `after` (keyset), or after skipping `offset` rows."""

    limit: int | None = None
    offset: int = 0
    after: str | None = None


@dataclass(frozen=True)
class RefundFilter:
    status: str | None = None
    customer: str | None = None
    order: str | None = None
    reason: str | None = None
    tier: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    owner: str | None = None  # a customer actor's name: their refunds, whatever the id's case


@dataclass(frozen=True)
class TrailFilter:
    actor: str | None = None
    type: str | None = None
    refund: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def list_refunds(store: ViewStore, where: RefundFilter, page: Page) -> list[dict[str, Any]]:
    """Refunds oldest first, as `show --json` objects, from the status view."""
    conditions = _equal(
        status=where.status,
        customer_id=where.customer,
        order_id=where.order,
        reason=where.reason,
        tier=where.tier,
    )
    conditions += _range("created_key", where.since, where.until)
    if where.owner is not None:
        conditions.append((sql.SQL("lower(customer_id) = %s"), [where.owner.lower()]))
    rows = _select(status.TABLE, conditions, page, "refund_id")
    with store.reading() as db:
        found = db.rows(*rows)
        # an unknown cursor selects nothing (seq > NULL): only an empty page asks about it
        if not found and page.after is not None and not _listed(db, page.after):
            raise InvalidInput(f"unknown cursor {page.after!r}: pass the id of a listed refund")
        return [status.refund_from_row(row) for row in found]


def _listed(db: Db, refund_id: str) -> bool:
    statement = sql.SQL("SELECT 1 FROM {} WHERE refund_id = %s")
    return bool(db.rows(statement.format(sql.Identifier(status.TABLE)), [refund_id]))


def search_trail(store: ViewStore, where: TrailFilter, page: Page) -> list[dict[str, Any]]:
    """Refund events across refunds, in the order they were stored, from the trail view."""
    conditions = _equal(actor=where.actor, type=where.type, refund_id=where.refund)
    conditions += _range("at_key", where.since, where.until)
    statement, params = _select(trail.TABLE, conditions, page, None)
    with store.reading() as db:
        found = db.rows(statement, params)
    keys = ("refund_id", "version", "type", "actor", "at", "summary", "policy_version", "rule")
    return [{key: row[key] for key in keys} for row in found]


def kpi_rows(
    store: ViewStore, since: datetime | None, until: datetime | None
) -> list[dict[str, Any]]:
    """The KPI view's fact rows of the refunds *requested* in [since, until] (either end
    open), oldest first."""
    statement, params = _select(kpis.TABLE, _range("created_key", since, until), Page(), None)
    with store.reading() as db:
        return db.rows(statement, params)


def referenced_payouts(store: ViewStore) -> list[dict[str, Any]]:
    """Payout attempts with a provider reference (settled, or failed with one), oldest first."""
    statement = sql.SQL("SELECT * FROM {} WHERE reference IS NOT NULL ORDER BY seq").format(
        sql.Identifier(payouts.TABLE)
    )
    with store.reading() as db:
        return db.rows(statement)


Condition = tuple[sql.Composable, list[Any]]
NO_LIMIT = 2**62


def _equal(**values: str | None) -> list[Condition]:
    return [
        (sql.SQL("{} = %s").format(sql.Identifier(column)), [value])
        for column, value in values.items()
        if value is not None
    ]


def _range(column: str, since: datetime | None, until: datetime | None) -> list[Condition]:
    found: list[Condition] = []
    if since is not None:
        found.append((sql.SQL("{} >= %s").format(sql.Identifier(column)), [time_key(since)]))
    if until is not None:
        found.append((sql.SQL("{} <= %s").format(sql.Identifier(column)), [time_key(until)]))
    return found


def _select(
    table: str, conditions: list[Condition], page: Page, key: str | None
) -> tuple[sql.Composable, list[Any]]:
    if page.after is not None and key is not None:
        conditions = conditions + [
            (
                sql.SQL("seq > (SELECT seq FROM {} WHERE {} = %s)").format(
                    sql.Identifier(table), sql.Identifier(key)
                ),
                [page.after],
            )
        ]
    where = sql.SQL(" AND ").join([c for c, _ in conditions]) if conditions else sql.SQL("TRUE")
    params = [p for _, values in conditions for p in values]
    statement = sql.SQL("SELECT * FROM {} WHERE {} ORDER BY seq").format(
        sql.Identifier(table), where
    )
    statement = sql.SQL("{} LIMIT %s OFFSET %s").format(statement)
    params += [NO_LIMIT if page.limit is None else page.limit, page.offset]
    return statement, params
