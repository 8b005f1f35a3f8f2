"""Compliance consumer (`ledger consume compliance`): archive, chain check, alerts.

Each message, inside the runner's transaction: one archive row (append-only, every arrival
kept, even a second copy of a version), the refund's chain head moved on, and the alerts it
raises (alerts.py) stored with it. After the commit the stored alerts go to `refunds.alerts`.

After a chain break the head moves to the event that broke it, so one break raises one alert
and the chain is checked again from there.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar

from eventsourcing.application import Application
from psycopg import sql

from consumers import compliance_schema as tables
from consumers.alerts import event_alert, publish_pending
from consumers.chain_check import Head, chain_problems, replay_problems
from consumers.messages import Delivered
from ledger.domain.chain import UNCHAINED, canonical_json
from ledger.projections.base import insert, time_key
from ledger.store.tracking import Db, PostgresViews, ViewStore, open_store

ALERTS_TOPIC = "refunds.alerts"

if TYPE_CHECKING:
    from consumers.witnessing import Witnessing


def utc_now() -> datetime:
    return datetime.now(UTC)


class ComplianceHandler:
    """Archive every refund event, check its chain on arrival, raise and publish alerts."""

    name: ClassVar[str] = "compliance"

    def __init__(
        self,
        alerts_topic: str = ALERTS_TOPIC,
        clock: Callable[[], datetime] = utc_now,
        publish_timeout: float = 10.0,
        witness: Witnessing | None = None,
    ) -> None:
        self.alerts_topic = alerts_topic
        self.clock = clock
        self.publish_timeout = publish_timeout  # seconds to wait for the broker's acks
        self.witness = witness

    def schema(self, postgres: bool) -> list[sql.Composable]:
        return tables.schema(postgres)

    def handle(self, db: Db, message: Delivered) -> None:
        body, now = message.body, time_key(self.clock())
        head = _head(db, message.refund_id)
        if head is not None and message.version <= head.version:
            problems = replay_problems(head, _archived_hashes(db, message), body)
        else:
            problems = chain_problems(head, body)
            _move_head(db, message, now)
        _archive(db, message, now)
        raised = [("chain_break", problem) for problem in problems]
        found = event_alert(message.event_type, message.payload)
        raised += [found] if found else []
        db.executemany(
            insert(tables.ALERTS, tables.ALERT_COLUMNS),
            [
                (kind, message.refund_id, message.version, message.id, detail, now)
                for kind, detail in raised
            ],
        )

    def after_commit(self, store: ViewStore, producer: Any) -> None:
        publish_pending(store, producer, self.alerts_topic, self.clock, self.publish_timeout)

    def tick(self, store: ViewStore, producer: Any) -> None:
        """Witness the audit log when its time has come; publish what that raised."""
        if self.witness is not None and self.witness.due():
            self.witness.look(store, self.clock)
            self.after_commit(store, producer)


def open_compliance(app: Application[Any]) -> ViewStore:
    """The store on the ledger's database, with the compliance tables created when missing."""
    return ensure_tables(open_store(app))


def ensure_tables(store: ViewStore) -> ViewStore:
    """`store`, with the compliance tables created when missing."""
    store.ensure(ComplianceHandler.name, tables.schema(isinstance(store, PostgresViews)))
    return store


def _head(db: Db, refund_id: str) -> Head | None:
    found = db.rows(
        sql.SQL("SELECT version, hash, prev_hash FROM {} WHERE refund_id = %s").format(
            sql.Identifier(tables.HEADS)
        ),
        (refund_id,),
    )
    if not found:
        return None
    row = found[0]
    return Head(int(row["version"]), str(row["hash"]), row["prev_hash"] == UNCHAINED)


def _archived_hashes(db: Db, message: Delivered) -> list[str]:
    found = db.rows(
        sql.SQL("SELECT hash FROM {} WHERE refund_id = %s AND version = %s").format(
            sql.Identifier(tables.ARCHIVE)
        ),
        (message.refund_id, message.version),
    )
    return [str(row["hash"]) for row in found]


def _move_head(db: Db, message: Delivered, now: str) -> None:
    body = message.body
    row = (message.refund_id, message.version, body["hash"], body["prev_hash"], message.id, now)
    db.execute(insert(tables.HEADS, tables.HEAD_COLUMNS, conflict=["refund_id"]), row)


def _archive(db: Db, message: Delivered, now: str) -> None:
    body = message.body
    row = (
        message.source,
        message.id,
        message.type,
        message.refund_id,
        message.version,
        str(body["at"]),
        str(body["prev_hash"]),
        str(body["hash"]),
        canonical_json(body).decode(),
        now,
    )
    db.execute(insert(tables.ARCHIVE, tables.ARCHIVE_COLUMNS), row)
