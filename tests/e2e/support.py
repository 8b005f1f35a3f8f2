"""Helpers of the end-to-end tests: run the installed `ledger` command in a process of its own.

Every test drives the real console script with `--db URL` (the `database_url` fixture of
tests/conftest.py gives one per back end) and reads what it printed, as a user would. What
the in-process runs of tests/integration share with these is in tests/cli_support.py.
"""

from __future__ import annotations

import sys
from pathlib import Path

from cli_support import (
    BASE_REQUEST,
    LedgerCommands,
    Outcome,
    clean_env,
    days_ago,
    parse_time,
    request_args,
    seed_pending_refund,
    stored_event_count,
)

from .zygote_client import Runner

__all__ = [
    "BASE_REQUEST",
    "LEDGER",
    "RUNNER",
    "TIMEOUT_SECONDS",
    "Ledger",
    "Outcome",
    "clean_env",
    "days_ago",
    "ledger_command",
    "parse_time",
    "request_args",
    "seed_pending_refund",
    "stored_event_count",
]


def ledger_command() -> list[str]:
    """The console script installed next to this interpreter (else `python -m cli.main`)."""
    script = Path(sys.executable).with_name("ledger")
    return [str(script)] if script.exists() else [sys.executable, "-m", "cli.main"]


LEDGER = ledger_command()
RUNNER = Runner(LEDGER)
TIMEOUT_SECONDS = 60


class Ledger(LedgerCommands):
    """The installed `ledger` command bound to one database, run in a scratch working directory."""

    def run(
        self, *args: str, env: dict[str, str] | None = None, db: bool = True, fresh: bool = False
    ) -> Outcome:
        """Run `ledger [--db URL] ARGS...`; never raises on a non-zero exit. Each run is a
        separate process, forked by the worker's fork server (tests/e2e/zygote.py) unless
        `fresh`: then a new interpreter starts, for tests about the process's start itself."""
        argv = (*(("--db", self.database_url) if db else ()), *args)
        done = RUNNER.run(argv, self.workdir, env or clean_env(), TIMEOUT_SECONDS, fresh)
        return Outcome(argv, done.code, done.stdout, done.stderr)
