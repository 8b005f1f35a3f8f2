"""How long the ledger waits for its database: LEDGER_DB_CONNECT_TIMEOUT and
LEDGER_DB_STATEMENT_TIMEOUT (seconds; each checked when the settings are read)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from ledger.domain.errors import InvalidInput

CONNECT_VARIABLE = "LEDGER_DB_CONNECT_TIMEOUT"
STATEMENT_VARIABLE = "LEDGER_DB_STATEMENT_TIMEOUT"
DEFAULT_CONNECT = 3.0
DEFAULT_STATEMENT = 5.0
LONGEST = 3600.0


class InvalidTimeout(InvalidInput):
    code = "invalid-setting"

    def __init__(self, variable: str, text: str, least: float) -> None:
        super().__init__(
            f"{variable} must be a number of seconds from {least:g} to {LONGEST:g}, not {text!r}"
        )


@dataclass(frozen=True)
class DbTimeouts:
    """`connect`: the longest wait for a connection (PostgreSQL: libpq's connect_timeout and
    the pool's wait for a free connection). `statement`: the longest a statement may run
    (PostgreSQL's statement_timeout; 0 turns it off) or, on SQLite, wait for another
    writer's lock."""

    connect: float = DEFAULT_CONNECT
    statement: float = DEFAULT_STATEMENT

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> DbTimeouts:
        return cls(
            connect=_seconds(environ, CONNECT_VARIABLE, DEFAULT_CONNECT, least=0.5),
            statement=_seconds(environ, STATEMENT_VARIABLE, DEFAULT_STATEMENT, least=0.0),
        )

    def env(self) -> dict[str, str]:
        """The variables the ledger's persistence factories read (ledger/store/factories.py)."""
        return {CONNECT_VARIABLE: f"{self.connect:g}", STATEMENT_VARIABLE: f"{self.statement:g}"}

    @property
    def libpq_connect(self) -> int:
        """libpq takes whole seconds, and treats anything below 2 as 2."""
        return max(2, math.ceil(self.connect))

    @property
    def sqlite_lock(self) -> float:
        """SQLite has no statement timeout: the statement timeout bounds its wait for a lock
        (never 0, which would make every concurrent write fail at once)."""
        return self.statement or LONGEST


def _seconds(environ: Mapping[str, str], variable: str, default: float, least: float) -> float:
    text = environ.get(variable, "").strip()
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        raise InvalidTimeout(variable, text, least) from None
    if not math.isfinite(value) or not least <= value <= LONGEST:
        raise InvalidTimeout(variable, text, least)
    return value
