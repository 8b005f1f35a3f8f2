"""The in-process runs of tests/integration (click's CliRunner on `cli.main`'s group behind
the console script's guard) print and exit exactly as the installed `ledger` command does:
the same exit code, stdout and stderr, byte for byte, for each kind of outcome."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from cli_support import clean_env, request_args, seed_pending_refund

from .support import Ledger
from integration.in_process import Ledger as InProcess

UNKNOWN_ID = "00000000-0000-4000-8000-000000000000"

CASES = {
    "json-read": ("show", "{id}", "--json"),
    "table": ("history", "{id}"),
    "listing": ("list",),
    "refused": ("approve", "{id}", "--actor", "manager:ann"),
    "not-found": ("show", UNKNOWN_ID),
    "malformed": ("request", *request_args(amount="abc"), "--json"),
    "missing-option": ("reject", "{id}", "--actor", "manager:bob"),
    "unknown-command": ("frobnicate",),
    "missing-command": (),
    "group-help": ("--help",),
    "command-help": ("dispute", "resolve", "--help"),
    "exit-of-its-own": ("sla", "sweep", "--now", "garbage"),
}


@pytest.mark.parametrize("args", CASES.values(), ids=CASES.keys())
def test_an_in_process_run_prints_and_exits_as_the_installed_command(
    ledger: Ledger, args: tuple[str, ...]
) -> None:
    refund_id = seed_pending_refund(ledger.database_url)
    argv = [arg.replace("{id}", refund_id) for arg in args]

    real = ledger.run(*argv)
    in_process = InProcess(ledger.database_url, ledger.workdir).run(*argv)

    assert (in_process.code, in_process.stdout, in_process.stderr) == (
        real.code,
        real.stdout,
        real.stderr,
    ), f"{real.describe()}\n---\n{in_process.describe()}"


def test_an_in_process_run_sees_only_the_environment_it_is_given(
    ledger: Ledger, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The test's own LEDGER_* settings do not reach a run (as they reach no subprocess of
    `clean_env`), and the run leaves the test's environment and directory as they were."""
    monkeypatch.setenv("LEDGER_DATABASE_URL", "mysql://nowhere/ledger")
    here, before = Path.cwd(), dict(clean_env())
    env = clean_env(LEDGER_DATABASE_URL=ledger.database_url)

    outcome = InProcess(ledger.database_url, ledger.workdir).run("list", "--json", db=False)
    given = InProcess(ledger.database_url, ledger.workdir).run("list", "--json", env=env, db=False)

    assert outcome.code == 0 and outcome.json() == [], outcome.describe()
    assert (ledger.workdir / "ledger.db").exists()  # the default store, not the test's URL
    assert given.code == 0, given.describe()
    assert Path.cwd() == here and dict(clean_env()) == before
    assert os.environ["LEDGER_DATABASE_URL"] == "mysql://nowhere/ledger"
