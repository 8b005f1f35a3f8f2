"""What every command needs: settings from the global options, and the container built on
demand (ledger/bootstrap.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import click

from ledger.app.service import RefundLedger
from ledger.bootstrap import Container, bootstrap
from ledger.config import Settings

if TYPE_CHECKING:
    from ledger.app.queries import RefundQueries


@dataclass
class LedgerContext:
    settings: Settings
    _container: Container | None = field(default=None, init=False)

    @property
    def container(self) -> Container:
        """Every wired piece; each opens on first use (input is parsed before this is
        touched)."""
        if self._container is None:
            self._container = bootstrap(self.settings)
        return self._container

    @property
    def app(self) -> RefundLedger:
        """The command service."""
        return self.container.ledger

    @property
    def queries(self) -> RefundQueries:
        """The query service: every read."""
        return self.container.queries

    def close(self) -> None:
        if self._container is not None:
            self._container.close()


pass_ledger = click.make_pass_decorator(LedgerContext)
