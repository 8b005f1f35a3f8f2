"""The composition root: settings in, every wired piece of the ledger out.

`bootstrap(settings)` returns a `Container`. Nothing is opened at import time or when the
container is made: each piece is built on first use (so that a command parses its input
before it touches the database) and closed with the container. The entry points build
themselves from it: the HTTP app (`api.app.create_app(container)`), the consumers
(`container.consumer_store()` for their tables) and the CLI (`cli/context.py`).

`memory:` (or `memory:NAME`) as the database URL is the in-memory store: an SQLite database
in this process's memory, shared by every connection of the process that names it, gone
when the process ends or lets it go (ledger/store/memory.py). Nothing is written to disk;
the application tests run on it as a third back end beside an SQLite file and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cached_property
from typing import TYPE_CHECKING

from ledger.app.health import HealthProbe
from ledger.app.service import Clock, RefundLedger, utc_now
from ledger.app.tokens import Tokens
from ledger.config import Settings, persistence_env
from ledger.domain.policy import Policy
from ledger.policy_file import load_policy
from ledger.projections.runner import Projections
from ledger.store import memory
from ledger.store.replays import ReplayStore
from ledger.store.sqlite_file import create_private
from ledger.store.tracking import ViewStore, tables_at

if TYPE_CHECKING:
    from ledger.app.queries import RefundQueries
    from ledger.audit.log import AuditLog
    from ledger.kafka.producer import Publisher
    from ledger.kafka.relay import Relay


class Container:
    """One process's wiring: the command service, the projections, the tokens, the health
    probe, the relay and the consumers' tables, on one database and one clock."""

    def __init__(
        self, settings: Settings, policy: Policy | None = None, clock: Clock = utc_now
    ) -> None:
        self.settings = settings
        self._policy = policy
        self.clock = clock

    @cached_property
    def ledger(self) -> RefundLedger:
        """The command service, on the configured database (its tables made if need be)."""
        env = persistence_env(self.settings.database_url, self.settings.timeouts)
        create_private(env)
        memory.hold(env)
        policy = self._policy or load_policy(self.settings.policy_path)
        return RefundLedger(policy, env=env, clock=self.clock)

    @cached_property
    def projections(self) -> Projections:
        """The read models and their runner, on the ledger's own database."""
        return Projections(self.ledger)

    @cached_property
    def queries(self) -> RefundQueries:
        """The query service beside the command service: every read, on these projections
        and this health probe (each still opened on the first read that needs it)."""
        from ledger.app.queries import RefundQueries  # the read models load only for a read

        return RefundQueries(
            self.ledger, lambda: self.projections, lambda: self.health, lambda: self.audit_log
        )

    @cached_property
    def audit_log(self) -> AuditLog:
        """The Merkle log of every stored event, on the ledger's own database."""
        from ledger.audit.log import AuditLog  # loaded only for the audit

        return AuditLog(self.ledger, self.projections.store)

    @cached_property
    def tokens(self) -> Tokens:
        """The HTTP API's bearer tokens, on the ledger's database and clock."""
        return Tokens(self.ledger, self.projections.store, self.clock)

    @cached_property
    def health(self) -> HealthProbe:
        return HealthProbe(self.projections)

    def replays(self) -> ReplayStore:
        """The HTTP API's first answers to each Idempotency-Key, with this process as the
        owner of the keys it reserves (a thread renews them: close it when done)."""
        return ReplayStore(self.projections.store, self.clock)

    def relay(self, publisher: Publisher, batch: int) -> Relay:
        """The relay of the stored events to `publisher`, as CloudEvents of the configured
        source."""
        from ledger.kafka.relay import Relay  # the Kafka client loads only for the relay

        return Relay(self.ledger, publisher, self.settings.event_source, batch)

    @contextmanager
    def consumer_store(self, database_url: str | None = None) -> Iterator[ViewStore]:
        """A store for a consumer's tables on `database_url` (by default the ledger's own
        database); the ledger's event tables are not made there."""
        env = persistence_env(database_url or self.settings.database_url, self.settings.timeouts)
        create_private(env)
        env.pop("APPLICATION_RECORDER_TOPIC", None)
        with tables_at(env) as store:
            yield store

    def close(self) -> None:
        """Close what was opened (the ledger's connections; the views share them)."""
        if "ledger" in self.__dict__:
            self.ledger.close()


def bootstrap(
    settings: Settings, policy: Policy | None = None, clock: Clock = utc_now
) -> Container:
    return Container(settings, policy, clock)
