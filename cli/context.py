"""What every command needs: settings from the global options, and the app built on demand."""

from __future__ import annotations

from dataclasses import dataclass, field

import click

from ledger.app.service import RefundLedger
from ledger.bootstrap import bootstrap
from ledger.config import Settings


@dataclass
class LedgerContext:
    settings: Settings
    _app: RefundLedger | None = field(default=None, init=False)

    @property
    def app(self) -> RefundLedger:
        """The application, opened on first use (input is parsed before this is touched)."""
        if self._app is None:
            self._app = bootstrap(self.settings)
        return self._app

    def close(self) -> None:
        if self._app is not None:
            self._app.close()


pass_ledger = click.make_pass_decorator(LedgerContext)
