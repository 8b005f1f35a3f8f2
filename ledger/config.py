"""Settings: where the events live, how long to wait for them, which policy applies, where the
relay publishes (docs/product.md §3)."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from ledger.domain.errors import InvalidInput
from ledger.kafka.cloudevents import DEFAULT_SOURCE
from ledger.kafka.security import KafkaSecurity
from ledger.store.factories import POSTGRES_TOPIC, SQLITE_TOPIC
from ledger.store.timeouts import DbTimeouts

DEFAULT_DATABASE_URL = "sqlite:///ledger.db"
_MEMORY_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")
DEFAULT_RELAY_TOPIC = "refunds.events"
DEFAULT_EVENT_SOURCE = DEFAULT_SOURCE
# Recorders that keep the checkpoint of chain heads with the events (ledger/store/recorders.py,
# ledger/store/postgres_recorder.py)
CHAINED_RECORDERS = {
    "sqlite": "ledger.store.recorders:ChainedSQLiteApplicationRecorder",
    "postgres": "ledger.store.postgres_recorder:ChainedPostgresApplicationRecorder",
}


class InvalidDatabaseUrl(InvalidInput):
    code = "invalid-database-url"

    def __init__(self, url: str, why: str) -> None:
        super().__init__(
            f"invalid database URL {url!r}: {why} "
            "(use sqlite:///path/to/ledger.db or postgresql://user:pass@host:port/dbname)"
        )


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    policy_path: str | None = None
    kafka_bootstrap: str | None = None
    relay_topic: str = DEFAULT_RELAY_TOPIC
    event_source: str = DEFAULT_EVENT_SOURCE
    kafka_security: KafkaSecurity = field(default_factory=KafkaSecurity)
    timeouts: DbTimeouts = field(default_factory=DbTimeouts)
    signing_key: str | None = None  # the file of the audit log's signing key (never stored)

    @classmethod
    def from_env(cls, database_url: str | None = None) -> Settings:
        """Explicit values win over LEDGER_DATABASE_URL and LEDGER_POLICY; the relay reads
        LEDGER_KAFKA_BOOTSTRAP, LEDGER_RELAY_TOPIC and LEDGER_EVENT_SOURCE; the relay and the
        consumers the LEDGER_KAFKA_* security settings (checked when a Kafka client starts).
        LEDGER_DB_CONNECT_TIMEOUT and LEDGER_DB_STATEMENT_TIMEOUT are checked here;
        LEDGER_SIGNING_KEY (the audit log's signing key file) when a checkpoint is signed."""
        environ = os.environ
        return cls(
            # an explicit but empty --db is a mistake to report, not a request for the default
            database_url=database_url
            if database_url is not None
            else environ.get("LEDGER_DATABASE_URL") or DEFAULT_DATABASE_URL,
            policy_path=environ.get("LEDGER_POLICY") or None,
            kafka_bootstrap=environ.get("LEDGER_KAFKA_BOOTSTRAP") or None,
            relay_topic=environ.get("LEDGER_RELAY_TOPIC") or DEFAULT_RELAY_TOPIC,
            event_source=environ.get("LEDGER_EVENT_SOURCE") or DEFAULT_EVENT_SOURCE,
            kafka_security=KafkaSecurity.from_env(environ),
            timeouts=DbTimeouts.from_env(environ),
            signing_key=environ.get("LEDGER_SIGNING_KEY") or None,
        )

    @property
    def backend(self) -> str:
        return "postgres" if self.database_url.startswith("postgres") else "sqlite"


def persistence_env(url: str, timeouts: DbTimeouts | None = None) -> dict[str, str]:
    """The eventsourcing environment variables for a database URL (and the ledger's own
    factories' timeouts: the defaults unless given)."""
    if not url.strip():
        raise InvalidDatabaseUrl(url, "it is empty")
    parts = urlsplit(url)
    waits = (timeouts or DbTimeouts()).env()
    if parts.scheme == "sqlite":
        return {**_sqlite_env(url, parts.path), **waits}
    if parts.scheme in ("postgresql", "postgres"):
        return {**_postgres_env(url), **waits}
    if parts.scheme == "memory":
        return {**_memory_env(url, parts.path), **waits}
    raise InvalidDatabaseUrl(url, f"unsupported scheme {parts.scheme!r}")


def _sqlite_env(url: str, path: str) -> dict[str, str]:
    # sqlite:///relative.db -> "/relative.db"; sqlite:////abs/path.db -> "//abs/path.db"
    name = path[1:] if path.startswith("/") else path
    if not name:
        raise InvalidDatabaseUrl(url, "no file name")
    if name != ":memory:" and not Path(name).expanduser().parent.is_dir():
        raise InvalidDatabaseUrl(url, f"directory {Path(name).parent} does not exist")
    return {
        "PERSISTENCE_MODULE": SQLITE_TOPIC,
        "SQLITE_DBNAME": name,
        "APPLICATION_RECORDER_TOPIC": CHAINED_RECORDERS["sqlite"],
    }


def _memory_env(url: str, name: str) -> dict[str, str]:
    """`memory:NAME`: an SQLite database in this process's memory, shared by the process's
    connections that name it (`memory:` alone is `memory:ledger`)."""
    name = name or "ledger"
    if not _MEMORY_NAME.fullmatch(name):
        raise InvalidDatabaseUrl(url, "the name after memory: takes letters, digits, - and _")
    return {
        "PERSISTENCE_MODULE": SQLITE_TOPIC,
        "SQLITE_DBNAME": f"file:ledger-{name}?mode=memory&cache=shared",
        "APPLICATION_RECORDER_TOPIC": CHAINED_RECORDERS["sqlite"],
    }


def _postgres_env(url: str) -> dict[str, str]:
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    host = query.get("host", [parts.hostname or ""])[0]
    dbname = unquote(parts.path.lstrip("/"))
    if not host:
        raise InvalidDatabaseUrl(url, "no host (or ?host=/socket/dir)")
    if not dbname:
        raise InvalidDatabaseUrl(url, "no database name")
    try:
        port = parts.port or 5432
    except ValueError:
        raise InvalidDatabaseUrl(url, "the port is not a number") from None
    return {
        "PERSISTENCE_MODULE": POSTGRES_TOPIC,
        "POSTGRES_DBNAME": dbname,
        "POSTGRES_HOST": host,
        "POSTGRES_PORT": str(port),
        "POSTGRES_USER": unquote(parts.username or "postgres"),
        "POSTGRES_PASSWORD": unquote(parts.password or ""),
        "POSTGRES_POOL_SIZE": "4",
        "POSTGRES_MAX_OVERFLOW": "8",
        "APPLICATION_RECORDER_TOPIC": CHAINED_RECORDERS["postgres"],
    }
