"""The consumers' shared dedupe table and the dead-letter copy of a refused record.

`consumer_inbox` holds one row per (consumer, CloudEvent source, CloudEvent id) a consumer
has applied. The row is inserted in the same transaction as the consumer's effect, so a
redelivered message (a crash before the offsets were committed, a duplicate from the relay)
finds its row and is skipped: each event takes effect once per consumer.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from psycopg import sql

from consumers.messages import Delivered
from ledger.projections.store import Db

INBOX_TABLE = "consumer_inbox"


def inbox_schema() -> list[sql.Composable]:
    """The inbox table (the same statement on SQLite and PostgreSQL)."""
    return [
        sql.SQL(
            "CREATE TABLE IF NOT EXISTS {} ("
            "consumer TEXT NOT NULL, source TEXT NOT NULL, id TEXT NOT NULL, "
            "topic TEXT NOT NULL, partition_no INTEGER NOT NULL, offset_no BIGINT NOT NULL, "
            "received_at TEXT NOT NULL, PRIMARY KEY (consumer, source, id))"
        ).format(sql.Identifier(INBOX_TABLE))
    ]


def first_delivery(db: Db, consumer: str, message: Delivered) -> bool:
    """Record the message as seen by `consumer`; False when it was seen before."""
    inserted = db.rows(
        sql.SQL(
            "INSERT INTO {} (consumer, source, id, topic, partition_no, offset_no, received_at) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING RETURNING id"
        ).format(sql.Identifier(INBOX_TABLE)),
        (
            consumer,
            message.source,
            message.id,
            message.topic,
            message.partition,
            message.offset,
            datetime.now(UTC).isoformat(),
        ),
    )
    return bool(inserted)


def dead_letter(record: Any, reason: str) -> dict[str, Any]:
    """The `send` arguments that copy `record` to the dead-letter topic with the reason."""
    headers = [(str(name), bytes(value or b"")) for name, value in record.headers or ()]
    headers += [
        ("dlq_error", reason.encode("utf-8", "replace")),
        ("dlq_topic", str(record.topic).encode()),
        ("dlq_partition", str(record.partition).encode()),
        ("dlq_offset", str(record.offset).encode()),
    ]
    return {"key": record.key, "value": record.value, "headers": headers}
