"""The `ledger` CLI run in the test's own process: click's `CliRunner` on `cli.main`'s group,
behind the same guard as the console script (`run_guarded`), so that a run exits, prints and
refuses exactly as `ledger ARGS...` does, without a process per call.

A run sees only the environment it is given (as a process would), in the ledger's scratch
working directory, and wraps help to COLUMNS as the console script does; the logging set-up,
the signal handlers, the working directory and the environment are put back after it, so
nothing one run changes reaches the next. tests/e2e/test_cli_in_process.py checks that a run
prints and exits as the installed command does.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import sys
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

from cli_support import LedgerCommands, Outcome, clean_env
from click import formatting
from click.testing import CliRunner

from cli.errors import run_guarded
from cli.main import cli


class Ledger(LedgerCommands):
    """The `ledger` click group bound to one database, run in-process in a scratch directory."""

    def run(
        self, *args: str, env: dict[str, str] | None = None, db: bool = True, fresh: bool = False
    ) -> Outcome:
        """Run `ledger [--db URL] ARGS...` in-process; never raises on a non-zero exit."""
        if fresh:
            raise ValueError("a fresh interpreter needs a process: keep that test in tests/e2e")
        argv = (*(("--db", self.database_url) if db else ()), *args)
        code, stdout, stderr = run_cli(argv, self.workdir, env or clean_env())
        return Outcome(argv, code, stdout, stderr)


def run_cli(argv: Sequence[str], workdir: Path, env: dict[str, str]) -> tuple[int, str, str]:
    """(exit code, stdout, stderr) of `ledger ARGS...` run in `workdir` with exactly `env`."""
    replaced: dict[str, str | None] = {name: None for name in os.environ if name not in env}
    replaced.update(env)
    runner = CliRunner()
    with (
        _alone(),
        _process_state_kept(),
        contextlib.chdir(workdir),
        runner.isolation(env=replaced) as (stdout, stderr, _),
    ):
        formatting.FORCED_WIDTH = None  # as a process: help fits COLUMNS, not the runner's 80
        try:
            code = run_guarded(
                lambda: cli.main(args=list(argv), prog_name="ledger", standalone_mode=False)
            )
        except SystemExit as done:  # a command that exits itself (`sys.exit(code)`)
            code = _exit_status(done.code)
        sys.stdout.flush()
        sys.stderr.flush()
        return code, stdout.getvalue().decode(), stderr.getvalue().decode()


def _exit_status(code: object) -> int:
    """What the interpreter makes of `sys.exit(code)`: None is 0, an int itself, else 1."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1


_RUNNING = threading.Lock()


@contextlib.contextmanager
def _alone() -> Iterator[None]:
    """One run at a time: a run takes the process's stdout, stderr, environment and working
    directory (runs from several threads need processes: tests/e2e)."""
    if not _RUNNING.acquire(blocking=False):
        raise RuntimeError("in-process runs cannot overlap: run them one after another")
    try:
        yield
    finally:
        _RUNNING.release()


@contextlib.contextmanager
def _process_state_kept() -> Iterator[None]:
    """The logging set-up (every logger's level, handlers and propagation; a logger first made
    by the run as a new one is) and the SIGINT and SIGTERM handlers as they were: a command may
    configure logging or stop on signals."""
    loggers = [logging.getLogger(), *_named_loggers()]
    kept = [(each, each.level, list(each.handlers), each.propagate) for each in loggers]
    handlers = {number: signal.getsignal(number) for number in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for number, handler in handlers.items():
            if handler is not None:  # None: set outside Python, left as it is
                signal.signal(number, handler)
        known = {id(each) for each in loggers}
        made = [each for each in _named_loggers() if id(each) not in known]
        fresh: list[tuple[logging.Logger, int, list[logging.Handler], bool]] = [
            (each, logging.NOTSET, [], True) for each in made
        ]
        for each, level, before, propagate in [*kept, *fresh]:
            each.handlers[:] = before
            each.setLevel(level)
            each.propagate = propagate


def _named_loggers() -> list[logging.Logger]:
    known = list(logging.Logger.manager.loggerDict.values())
    return [each for each in known if isinstance(each, logging.Logger)]
