"""Files the CLI writes: never through a symlink, never over a file without --force, private
where they hold customer data; and a new SQLite database is readable by its owner only."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_support import Outcome

from ..in_process import Ledger

WRITERS = {
    "report": ("report", "kpis", "--html"),
    "audit": ("audit", "export", "--out"),
}


@pytest.fixture(autouse=True)
def umask_022() -> Iterator[None]:
    """The common umask, the one the `ledger` runs (in this process) create files under:
    without the fix their files would be 0644, so a 0600 file shows the fix."""
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


def refused(outcome: Outcome, code: int, says: str) -> None:
    assert outcome.code == code, outcome.describe()
    assert outcome.stderr.startswith("error: ") and says in outcome.stderr, outcome.describe()
    assert outcome.stderr.count("\n") == 1, outcome.describe()


@pytest.fixture
def out(tmp_path: Path) -> Path:
    directory = tmp_path / "out"
    directory.mkdir()
    return directory


@pytest.mark.parametrize("writer", WRITERS)
def test_a_symlink_at_the_target_is_not_followed_even_with_force(
    ledger: Ledger, out: Path, tmp_path: Path, writer: str
) -> None:
    ledger.request()
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    victim.chmod(0o644)
    link = out / "target"
    link.symlink_to(victim)

    plain = ledger.run(*WRITERS[writer], str(link))
    forced = ledger.run(*WRITERS[writer], str(link), "--force")

    for outcome in (plain, forced):
        refused(outcome, 1, "it is a symbolic link")
    assert victim.read_text() == "precious\n" and mode(victim) == 0o644
    assert link.is_symlink() and os.readlink(link) == str(victim)
    assert sorted(p.name for p in out.iterdir()) == ["target"]  # no temporary file left


@pytest.mark.parametrize("writer", WRITERS)
def test_an_existing_target_is_kept_unless_force_and_the_file_written_is_0600(
    ledger: Ledger, out: Path, writer: str
) -> None:
    ledger.request()
    target = out / "target"
    target.write_text("kept\n")

    kept = ledger.run(*WRITERS[writer], str(target))
    refused(kept, 1, "it exists (use --force to replace it)")
    assert target.read_text() == "kept\n"

    replaced = ledger.run(*WRITERS[writer], str(target), "--force")
    assert replaced.code == 0, replaced.describe()
    assert target.read_text() != "kept\n" and mode(target) == 0o600
    assert sorted(p.name for p in out.iterdir()) == ["target"]


@pytest.mark.parametrize("writer", WRITERS)
def test_a_new_file_holding_customer_data_is_written_0600(
    ledger: Ledger, out: Path, writer: str
) -> None:
    ledger.request()
    target = out / "new"

    outcome = ledger.run(*WRITERS[writer], str(target))

    assert outcome.code == 0, outcome.describe()
    assert mode(target) == 0o600 and target.stat().st_size > 0
    assert sorted(p.name for p in out.iterdir()) == ["new"]


def test_schemas_export_keeps_existing_files_unless_force(tmp_path: Path) -> None:
    ledger = Ledger("sqlite:///unused.db", tmp_path)
    first = ledger.run("schemas", "export", "--out", "out", db=False)
    assert first.code == 0, first.describe()
    schema = tmp_path / "out" / "refunds.Requested.v2.json"
    assert mode(schema) == 0o644  # no customer data
    schema.write_text("{}\n")

    kept = ledger.run("schemas", "export", "--out", "out", db=False)
    replaced = ledger.run("schemas", "export", "--out", "out", "--force", db=False)

    refused(kept, 1, "it exists (use --force to replace it)")
    assert replaced.code == 0, replaced.describe()
    assert schema.read_text().startswith('{\n  "$schema"')
    assert all(not p.name.startswith(".") for p in (tmp_path / "out").iterdir())


def test_a_new_default_ledger_db_and_a_new_db_file_are_created_0600(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    default = Ledger("unused", tmp_path).run("list", db=False)
    other = Ledger(f"sqlite:///{elsewhere / 'other.db'}", tmp_path).run("list")

    assert default.code == 0 and other.code == 0, (default.describe(), other.describe())
    for database in (tmp_path / "ledger.db", elsewhere / "other.db"):
        assert mode(database) == 0o600, database
        for companion in database.parent.glob(f"{database.name}-*"):  # -wal, -shm
            assert mode(companion) == 0o600, companion


def test_a_consumer_database_given_with_db_is_created_0600(tmp_path: Path) -> None:
    ledger = Ledger(f"sqlite:///{tmp_path / 'ledger.db'}", tmp_path)

    outcome = ledger.run("finance", "journal", "--db", f"sqlite:///{tmp_path / 'books.db'}")

    assert outcome.code == 0, outcome.describe()
    assert mode(tmp_path / "books.db") == 0o600


def test_an_existing_database_file_keeps_its_mode(tmp_path: Path) -> None:
    database = tmp_path / "shared.db"
    database.touch()
    database.chmod(0o640)

    outcome = Ledger(f"sqlite:///{database}", tmp_path).run("list")

    assert outcome.code == 0, outcome.describe()
    assert mode(database) == 0o640
