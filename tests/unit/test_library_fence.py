"""The fence around the libraries' internals: the ledger copies, overrides or calls some of
eventsourcing's (and psycopg_pool's) non-public code, and mirrors how kafka-python builds its
TLS context; only the version pin protects them.

Each such function's source text is fingerprinted here. An upgrade that changes one fails this
test, naming the function and the ledger code that depends on it: read the new source, adapt
that code, then record the new fingerprint. A method a ledger class overrides on a library
base must be listed, so a new override cannot slip past the fence.
"""

from __future__ import annotations

import hashlib
import importlib
import inspect
from typing import Any

import pytest

from ledger.store.factories import FailFastDatastore, FailFastPool, PageLimitedPool
from ledger.store.library import LoadsMany
from ledger.store.postgres_recorder import ChainedPostgresApplicationRecorder
from ledger.store.recorders import ChainedSQLiteApplicationRecorder

LIBRARIES = ("eventsourcing", "psycopg_pool")
#: (module, qualified name, sha256 of the source text, first 16 hex digits; who depends on it)
FENCED: tuple[tuple[str, str, str, str], ...] = (
    (
        "eventsourcing.application",
        "Application.save",
        "4e9747d14b8fd046",
        "ledger/store/library.py LoadsMany.save copies it",
    ),
    (
        "eventsourcing.application",
        "ProcessingEvent.collect_events",
        "7e3a7e6b1abd2bef",
        "LoadsMany.save copies its aggregate branch",
    ),
    (
        "eventsourcing.application",
        "Application._record",
        "104c6186b29d5059",
        "LoadsMany.save calls it",
    ),
    (
        "eventsourcing.application",
        "Application._take_snapshots",
        "ae98c5b97ed9a8e3",
        "LoadsMany.save calls it",
    ),
    (
        "eventsourcing.application",
        "Application._notify",
        "6b32f9fc4b4cf455",
        "LoadsMany.save calls it",
    ),
    (
        "eventsourcing.application",
        "project_aggregate",
        "e2d05062a4fad31f",
        "ledger/store/library.py project copies it",
    ),
    (
        "eventsourcing.domain",
        "Aggregate._create",
        "18222c00033ba1d2",
        "the domain's aggregates are created through it",
    ),
    (
        "eventsourcing.postgres",
        "PostgresApplicationRecorder._lock_table",
        "42bc9c135b4a93c1",
        "the insert function of ledger/store/postgres_recorder.py does what it does",
    ),
    (
        "eventsourcing.postgres",
        "PostgresApplicationRecorder._notify_channel",
        "9e5bab72ecfbcf2e",
        "the insert function of ledger/store/postgres_recorder.py does what it does",
    ),
    (
        "eventsourcing.postgres",
        "PostgresApplicationRecorder._insert_stored_events",
        "139580714a659085",
        "the insert function of ledger/store/postgres_recorder.py does what it does",
    ),
    (
        "eventsourcing.postgres",
        "PostgresApplicationRecorder._fetch_ids_after_insert_events",
        "9c8efbc1baf72b52",
        "the insert function of ledger/store/postgres_recorder.py returns the ids instead",
    ),
    (
        "eventsourcing.postgres",
        "PostgresDatastore.__init__",
        "e68d5fed5a405ca0",
        "ledger/store/factories.py tune_postgres sets the pool it builds",
    ),
    (
        "eventsourcing.sqlite",
        "SQLiteApplicationRecorder.__init__",
        "9eee5bfa89841931",
        "ChainedSQLiteApplicationRecorder.__init__ overrides it",
    ),
    (
        "eventsourcing.sqlite",
        "SQLiteAggregateRecorder.insert_events",
        "32f60619a2ca6e6a",
        "ChainedSQLiteApplicationRecorder.insert_events overrides it",
    ),
    (
        "eventsourcing.sqlite",
        "SQLiteApplicationRecorder.construct_create_table_statements",
        "0e52bba3d0092d39",
        "ChainedSQLiteApplicationRecorder.construct_create_table_statements overrides it",
    ),
    (
        "eventsourcing.sqlite",
        "SQLiteApplicationRecorder._insert_events",
        "413cdf219c7bae63",
        "ChainedSQLiteApplicationRecorder._insert_events overrides it",
    ),
    (
        "eventsourcing.postgres",
        "PostgresApplicationRecorder.__init__",
        "db36fb3de49a5292",
        "ChainedPostgresApplicationRecorder.__init__ overrides it",
    ),
    (
        "eventsourcing.postgres",
        "PostgresApplicationRecorder.insert_events",
        "f1a98da0239e3ea7",
        "ChainedPostgresApplicationRecorder.insert_events overrides it",
    ),
    (
        "eventsourcing.postgres",
        "PostgresApplicationRecorder._insert_events",
        "319d1ce6f3f9c865",
        "ChainedPostgresApplicationRecorder._insert_events overrides it",
    ),
    (
        "eventsourcing.sqlite",
        "SQLiteConnectionPool._create_connection",
        "4635cb356e9ae4ec",
        "PageLimitedPool._create_connection overrides it",
    ),
    (
        "eventsourcing.postgres",
        "PostgresDatastore.get_connection",
        "8837a84cf3a8492e",
        "FailFastDatastore.get_connection overrides it",
    ),
    (
        "kafka.net.transport",
        "KafkaSSLTransport._build_ssl_context",
        "5b13e5d3644c5cca",
        "ledger/kafka/security.py tls_context builds the same context for the handshake check",
    ),
    (
        "psycopg_pool.pool",
        "ConnectionPool.getconn",
        "778325c161bc774e",
        "FailFastPool.getconn overrides it",
    ),
)
OVERRIDING = (
    LoadsMany,
    ChainedSQLiteApplicationRecorder,
    ChainedPostgresApplicationRecorder,
    PageLimitedPool,
    FailFastDatastore,
    FailFastPool,
)


def _resolve(module: str, qualname: str) -> Any:
    found: Any = importlib.import_module(module)
    for part in qualname.split("."):
        found = getattr(found, part)
    return found


def fingerprint(function: Any) -> str:
    return hashlib.sha256(inspect.getsource(function).encode()).hexdigest()[:16]


@pytest.mark.parametrize(
    ("module", "qualname", "expected", "dependant"), FENCED, ids=[row[1] for row in FENCED]
)
def test_the_library_code_the_ledger_depends_on_is_unchanged(
    module: str, qualname: str, expected: str, dependant: str
) -> None:
    found = fingerprint(_resolve(module, qualname))
    assert found == expected, (
        f"{module}.{qualname} changed (fingerprint {found}, was {expected}): {dependant}; "
        "adapt that code to the new source, then record the new fingerprint here"
    )


def _library_bases(cls: type) -> list[type]:
    return [base for base in cls.__mro__[1:] if base.__module__.split(".")[0] in LIBRARIES]


def test_every_method_the_ledger_overrides_on_a_library_class_is_fenced() -> None:
    fenced = {(module, qualname) for module, qualname, _, _ in FENCED}
    unfenced = []
    for cls in OVERRIDING:
        for name, member in vars(cls).items():
            if not callable(member) and not isinstance(member, (classmethod, staticmethod)):
                continue
            for base in _library_bases(cls):
                if name in vars(base):
                    if (base.__module__, f"{base.__qualname__}.{name}") not in fenced:
                        unfenced.append(f"{cls.__qualname__}.{name} over {base.__module__}."
                                        f"{base.__qualname__}.{name}")  # fmt: skip
                    break
    assert unfenced == [], f"overrides the fence does not list: {unfenced}"
