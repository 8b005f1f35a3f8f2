"""What the benchmark runs on: one embedded PostgreSQL with its default (durable) settings,
one Tansu broker, a scratch directory, and databases filled once and shared by the groups."""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from localservers.postgres import PostgresServer, create_database, running_postgres
from localservers.tansu import TansuBroker, running_broker

Size = TypeVar("Size", int, float)


@dataclass
class Stack:
    quick: bool
    postgres: PostgresServer
    broker: TansuBroker
    scratch: Path
    _filled: dict[str, str] = field(default_factory=dict)

    def size(self, full: Size, quick: Size) -> Size:
        """`full` in a full run, `quick` under --quick."""
        return quick if self.quick else full

    def database(self, prefix: str = "bench") -> str:
        """A fresh, empty PostgreSQL database."""
        name = f"{prefix}_{uuid.uuid4().hex[:12]}"
        create_database(self.postgres.get_uri(), name)
        return self.postgres.get_uri(name)

    def sqlite(self, prefix: str = "bench") -> str:
        """A URL to a fresh SQLite file in the scratch directory."""
        return f"sqlite:///{self.scratch / f'{prefix}_{uuid.uuid4().hex[:12]}.db'}"

    def filled(self, key: str, fill: Callable[[str], None]) -> str:
        """A PostgreSQL database that `fill(url)` loaded once; later calls with the same key
        share it (groups that only read it, or add their own tables, can share a load)."""
        if key not in self._filled:
            url = self.database(key)
            fill(url)
            self._filled[key] = url
        return self._filled[key]


@contextmanager
def running_stack(quick: bool) -> Iterator[Stack]:
    with ExitStack() as stack:
        postgres = stack.enter_context(running_postgres(durable=True))
        broker = stack.enter_context(running_broker())
        scratch = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="ledger-bench-")))
        yield Stack(quick, postgres, broker, scratch)
