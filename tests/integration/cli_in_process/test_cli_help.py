"""Every command of docs/product.md §7 answers `--help` (no database is touched)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ..in_process import Ledger

COMMANDS = [
    "request",
    "verify",
    "approve",
    "reject",
    "escalate",
    "cancel",
    "note",
    "payout start",
    "payout settle",
    "payout fail",
    "dispute open",
    "dispute resolve",
    "show",
    "history",
    "list",
    "policy show",
    "sla sweep",
    "reconcile",
    "demo",
    "report kpis",
    "schemas export",
    "relay run",
    "relay status",
    "consume finance",
    "consume compliance",
    "compliance alerts",
    "compliance archive",
    "finance journal",
    "finance trial-balance",
    "serve",
    "tokens issue",
    "tokens list",
    "tokens revoke",
]


def test_top_level_help_lists_every_command(tmp_path: Path) -> None:
    outcome = Ledger("sqlite:///unused.db", tmp_path).run("--help", db=False)

    assert outcome.code == 0, outcome.describe()
    listed = {line.split()[0] for line in outcome.stdout.splitlines() if line.startswith("  ")}
    assert {command.split()[0] for command in COMMANDS} <= listed
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(command: str, tmp_path: Path) -> None:
    outcome = Ledger("sqlite:///unused.db", tmp_path).run(*command.split(), "--help", db=False)

    assert outcome.code == 0, outcome.describe()
    assert outcome.stdout.startswith(f"Usage: ledger {command}"), outcome.stdout
    assert outcome.stderr == ""
