"""Reading the compliance tables: alerts and the archive, filtered, oldest first."""

from __future__ import annotations

import json
from typing import Any

from psycopg import sql

from consumers.alerts import alert_message
from consumers.compliance_schema import ALERTS, ARCHIVE
from ledger.store.tracking import ViewStore


def _select(table: str, where: dict[str, Any]) -> tuple[sql.Composed, list[Any]]:
    used = {column: value for column, value in where.items() if value is not None}
    conditions = [sql.SQL("{} = %s").format(sql.Identifier(column)) for column in used]
    statement = sql.SQL("SELECT * FROM {}").format(sql.Identifier(table))
    if conditions:
        statement += sql.SQL(" WHERE ") + sql.SQL(" AND ").join(conditions)
    return statement + sql.SQL(" ORDER BY id"), list(used.values())


def alerts(
    store: ViewStore, kind: str | None = None, refund: str | None = None
) -> list[dict[str, Any]]:
    """Stored alerts (published or not), oldest first."""
    statement, params = _select(ALERTS, {"kind": kind, "refund_id": refund})
    with store.reading() as db:
        return [alert_message(row) for row in db.rows(statement, params)]


def archive(store: ViewStore, refund: str | None = None) -> list[dict[str, Any]]:
    """Archived arrivals, oldest first, each with its body decoded."""
    statement, params = _select(ARCHIVE, {"refund_id": refund})
    with store.reading() as db:
        found = db.rows(statement, params)
    return [
        {
            **row,
            "id": int(row["id"]),
            "version": int(row["version"]),
            "body": json.loads(row["body"]),
        }
        for row in found
    ]
