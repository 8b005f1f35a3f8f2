"""Status view: one row per refund, as `show --json` would print it now (serves `ledger list`).

The row changes exactly as the aggregate does: each event's payload goes through the domain's
own `apply_payload`, on a small state object loaded from the row, so the view cannot drift
from the refund's rules. Rows of a batch are loaded once, changed in memory, written once.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from psycopg import sql

from ledger.domain import refund_events as ev
from ledger.domain.refund_apply import apply_payload
from ledger.domain.vocabulary import Status
from ledger.projections.base import (
    Fact,
    View,
    create_index,
    create_table,
    insert,
    rows_by_key,
)
from ledger.store.tracking import Db

TABLE = "refund_status"
INT = {"approvals_required", "payout_attempt", "version", "seq"}
LISTS = {"flags", "approvals"}
COLUMNS: tuple[str, ...] = (
    "refund_id", "seq", "status", "order_id", "customer_id", "currency", "requested_amount",
    "approved_amount", "paid_amount", "order_total", "reason", "channel", "method",
    "purchased_on", "requested_by", "flags", "tier", "approvals_required", "approvals",
    "payout_attempt", "last_rule", "version", "created_at", "updated_at", "created_key",
    "pending_since", "breach_recorded_since", "status_before_dispute", "payout_amount",
)  # fmt: skip
AMOUNTS = ("approved_amount", "paid_amount", "payout_amount")
TIMES = ("pending_since", "breach_recorded_since")


class StatusView(View):
    name = "status"
    tables = (TABLE,)

    def schema(self, postgres: bool) -> list[sql.Composable]:
        columns = [(c, "BIGINT" if c in INT else "TEXT") for c in COLUMNS]
        statements: list[sql.Composable] = [create_table(TABLE, columns, ["refund_id"])]
        statements.append(create_index(TABLE, "seq"))
        if postgres:  # the filters of `ledger list`, each in listing order
            for column in ("status", "customer_id", "order_id", "reason", "tier"):
                statements.append(create_index(TABLE, column, "seq"))
            statements.append(create_index(TABLE, "created_key"))
            statements.append(  # what a customer's token lists: customer ids in any case
                sql.SQL("CREATE INDEX IF NOT EXISTS {} ON {} (lower(customer_id), seq)").format(
                    sql.Identifier(f"{TABLE}_owner_seq_idx"), sql.Identifier(TABLE)
                )
            )
        return statements

    def process(self, db: Db, batch: Sequence[Fact]) -> None:
        mine = [fact for fact in batch if _is_refund_event(fact.event)]
        ids = sorted({fact.key for fact in mine})
        rows = _load(db, ids)
        earlier = set(rows)
        states: dict[str, SimpleNamespace] = {}  # the refunds this batch changes, as states
        for fact in mine:
            key = fact.key
            match fact.event:
                case ev.Requested():
                    rows[key] = _requested(fact)
                    states.pop(key, None)
                case ev.RefundEvent() if key in rows:
                    state = states.get(key)
                    if state is None:
                        state = states[key] = _state(rows[key])
                    apply_payload(state, fact.event.payload, fact.event.timestamp)
                    rows[key].update(version=fact.event.originator_version, updated_at=fact.at)
                case _:
                    pass  # an event of a refund the view never saw opened: nothing to change
        for key, state in states.items():  # each changed row written back from its state once
            _store_state(rows[key], state)
        new = [key for key in ids if key in rows and key not in earlier]
        db.insert_many(TABLE, COLUMNS, [_stored(rows[key]) for key in new])
        db.executemany(
            insert(TABLE, COLUMNS, conflict=["refund_id"]),
            [_stored(rows[key]) for key in ids if key in earlier],
        )


def _is_refund_event(event: Any) -> bool:
    return isinstance(event, (ev.Requested, ev.RefundEvent))


def _load(db: Db, ids: list[str]) -> dict[str, dict[str, Any]]:
    rows = rows_by_key(db, TABLE, "refund_id", ids)
    for row in rows.values():
        for column in LISTS:
            row[column] = json.loads(row[column])
    return rows


def _requested(fact: Fact) -> dict[str, Any]:
    event: ev.Requested = fact.event
    request = event.payload
    return {
        "refund_id": fact.key,
        "seq": fact.seq,
        "status": Status.REQUESTED,
        "order_id": request.order_id,
        "customer_id": request.customer_id,
        "currency": request.currency,
        "requested_amount": str(request.amount),
        "approved_amount": None,
        "paid_amount": None,
        "order_total": str(request.order_total),
        "reason": request.reason,
        "channel": request.channel,
        "method": request.method,
        "purchased_on": None if request.purchased_on is None else str(request.purchased_on),
        "requested_by": request.actor,
        "flags": [],
        "tier": None,
        "approvals_required": 1,
        "approvals": [],
        "payout_attempt": 0,
        "last_rule": None,
        "version": event.originator_version,
        "created_at": fact.at,
        "updated_at": fact.at,
        "created_key": fact.at_key,
        "pending_since": None,
        "breach_recorded_since": None,
        "status_before_dispute": None,
        "payout_amount": None,
    }


def _state(row: dict[str, Any]) -> SimpleNamespace:
    """The small state object the domain's `apply_payload` changes, loaded from a row; it
    then takes every event of the refund in the batch, in order, before it is stored back."""
    return SimpleNamespace(
        status=row["status"],
        flags=list(row["flags"]),
        findings=(),
        verified=False,
        tier=row["tier"] or "",
        approvals_required=row["approvals_required"],
        approvals=[SimpleNamespace(actor=a) for a in row["approvals"]],
        deciders=set(),
        # what only the domain's own rules read: never shown, so never stored in the row
        approved_by=frozenset(),
        openers=frozenset(),
        overturn_amount=None,
        last_rule=row["last_rule"] or "",
        status_before_dispute=row["status_before_dispute"] or "",
        payout_attempt=row["payout_attempt"],
        **{c: None if row[c] is None else Decimal(row[c]) for c in AMOUNTS},
        **{c: None if row[c] is None else datetime.fromisoformat(row[c]) for c in TIMES},
    )


def _store_state(row: dict[str, Any], state: SimpleNamespace) -> None:
    """The row changed as the domain's own rules changed its state."""
    row.update(
        status=state.status,
        flags=list(state.flags),
        tier=state.tier or None,
        approvals_required=state.approvals_required,
        approvals=[a.actor for a in state.approvals],
        last_rule=state.last_rule or None,
        status_before_dispute=state.status_before_dispute or None,
        payout_attempt=state.payout_attempt,
        **{c: None if getattr(state, c) is None else str(getattr(state, c)) for c in AMOUNTS},
        **{c: None if getattr(state, c) is None else getattr(state, c).isoformat() for c in TIMES},
    )


def _stored(row: dict[str, Any]) -> list[Any]:
    """The row's values in COLUMNS order, its lists as JSON text."""
    return [json.dumps(row[c]) if c in LISTS else row.get(c) for c in COLUMNS]


REFUND_KEYS = (
    "id", "status", "order_id", "customer_id", "currency", "requested_amount",
    "approved_amount", "paid_amount", "order_total", "reason", "channel", "method",
    "purchased_on", "requested_by", "flags", "tier", "approvals_required", "approvals",
    "payout_attempt", "last_rule", "version", "created_at", "updated_at",
)  # fmt: skip


def refund_from_row(row: dict[str, Any]) -> dict[str, Any]:
    """A status row as the refund object of `show --json` (the same keys, the same values)."""
    values = {**row, "id": row["refund_id"]}
    for column in LISTS:
        if isinstance(values[column], str):
            values[column] = json.loads(values[column])
    return {key: values[key] for key in REFUND_KEYS}
