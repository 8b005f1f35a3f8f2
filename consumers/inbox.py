"""The consumers' shared dedupe table and the dead-letter copy of a refused record.

`consumer_inbox` holds one row per (consumer, CloudEvent source, CloudEvent id) a consumer
has applied. The row is inserted in the same transaction as the consumer's effect, so a
redelivered message (a crash before the offsets were committed, a duplicate from the relay)
finds its row and is skipped: each event takes effect once per consumer. `first_deliveries`
records a whole batch in a few multi-row statements (race-safe all the same: ON CONFLICT DO
NOTHING, and only the rows it inserted come back).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from psycopg import sql

from consumers.bulk import insert_rows
from consumers.messages import Delivered
from ledger.store.tracking import Db

INBOX_TABLE = "consumer_inbox"
INBOX_COLUMNS = (
    ("consumer", "text"),
    ("source", "text"),
    ("id", "text"),
    ("topic", "text"),
    ("partition_no", "integer"),
    ("offset_no", "bigint"),
    ("received_at", "text"),
)


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


def first_deliveries(db: Db, consumer: str, messages: Sequence[Delivered]) -> list[Delivered]:
    """Record the messages as seen by `consumer`; those seen for the first time, in order
    (of several copies in `messages`, the first)."""
    received_at = datetime.now(UTC).isoformat()
    rows = [
        (consumer, m.source, m.id, m.topic, m.partition, m.offset, received_at) for m in messages
    ]
    returned = insert_rows(
        db, INBOX_TABLE, INBOX_COLUMNS, rows, "ON CONFLICT DO NOTHING RETURNING source, id"
    )
    inserted = {(row["source"], row["id"]) for row in returned}
    first = []
    for message in messages:
        key = (message.source, message.id)
        if key in inserted:
            inserted.discard(key)
            first.append(message)
    return first


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
