"""`ledger reconcile --settlements` on files that are not what they seem, and on big ones.

What is not a regular file is refused at once, before the database is opened, and so is a
file over `--max-bytes`; a big file is streamed: the process's peak memory does not grow
with it. The file checks come before the database: one back end will do.
"""

from __future__ import annotations

import os
import resource
import subprocess
from pathlib import Path

import pytest
from waiting import PATIENCE

from benchmarks.rss import peak_rss_mb

from .support import LEDGER, Ledger, clean_env

HEADER = "reference,amount,currency,status,settled_at\n"
#: Today's `reconcile` held the file whole: about 3 KB of memory per row.
STREAMED_ROWS = 30_000
#: The streamed run may use this much more memory than the same run over the header alone.
OVER_BASELINE_MB = 25
OPEN_TIMEOUT_SECONDS = PATIENCE  # a hang still fails; a loaded machine does not
MEMORY_LIMIT_BYTES = 2 * 1024**3  # so that a run that reads /dev/zero whole fails, not the box


def _limited() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT_BYTES, MEMORY_LIMIT_BYTES))


def reconcile(database: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`ledger reconcile ARGS...` that must finish within seconds (a hang fails the test)."""
    return subprocess.run(
        [*LEDGER, "--db", f"sqlite:///{database}", "reconcile", *args],
        capture_output=True,
        text=True,
        cwd=database.parent,
        env=clean_env(),
        timeout=OPEN_TIMEOUT_SECONDS,
        preexec_fn=_limited,
        check=False,
    )


def assert_refused(outcome: subprocess.CompletedProcess[str], says: str, database: Path) -> None:
    assert outcome.returncode == 2, outcome
    assert outcome.stderr == f"error: {says}\n", outcome
    assert outcome.stdout == ""
    assert not database.exists()


def test_a_fifo_is_refused_at_once_with_one_line(tmp_path: Path) -> None:
    fifo, database = tmp_path / "settlements.csv", tmp_path / "never.db"
    os.mkfifo(fifo)

    outcome = reconcile(database, "--settlements", str(fifo))

    says = f"cannot read settlement file {str(fifo)!r}: Is a named pipe (FIFO), not a regular file"
    assert_refused(outcome, says, database)


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("/dev/zero", "Is a character device"),
        ("/dev/null", "Is a character device"),
        (".", "Is a directory"),
    ],
)
def test_a_device_or_a_directory_is_refused_with_one_line(
    tmp_path: Path, path: str, kind: str
) -> None:
    database = tmp_path / "never.db"

    outcome = reconcile(database, "--settlements", path)

    assert_refused(outcome, f"cannot read settlement file {path!r}: {kind}, not a regular file",
                   database)  # fmt: skip


def test_a_file_over_max_bytes_is_refused_naming_the_limit(tmp_path: Path) -> None:
    settlements, database = tmp_path / "settlements.csv", tmp_path / "never.db"
    settlements.write_text(HEADER + "PAY-1,1.00,EUR,settled,2026-11-01\n")  # 78 bytes
    size = settlements.stat().st_size

    outcome = reconcile(database, "--settlements", str(settlements), "--max-bytes", "77")
    assert_refused(
        outcome,
        f"settlement file {str(settlements)!r} has {size} bytes, over the limit of 77 bytes "
        "(--max-bytes)",
        database,
    )
    zero = reconcile(database, "--settlements", str(settlements), "--max-bytes", "0")
    assert zero.returncode == 2 and "--max-bytes" in zero.stderr, zero
    assert not database.exists()

    exact = reconcile(database, "--settlements", str(settlements), "--max-bytes", str(size))
    assert exact.returncode == 0, exact


def test_the_human_report_shows_200_rows_a_table_and_says_how_many_more(tmp_path: Path) -> None:
    settlements = tmp_path / "settlements.csv"
    rows = (f"PAY-{n:03d},1.00,EUR,settled,2026-11-01\n" for n in range(205))
    settlements.write_text(HEADER + "".join(rows) + "PAY-BAD,x,EUR,settled,2026-11-01\n")
    cli = Ledger(f"sqlite:///{tmp_path / 'ledger.db'}", tmp_path)

    shown = cli.run("reconcile", "--settlements", str(settlements))
    listed = cli.ok("reconcile", "--settlements", str(settlements))

    assert shown.code == 0, shown.describe()
    assert "missing_in_ledger (205)" in shown.stdout
    assert "PAY-199" in shown.stdout and "PAY-200" not in shown.stdout
    assert "... and 5 more missing_in_ledger row(s) not shown: --json lists every one" in (
        shown.stdout
    )
    assert "malformed (1)" in shown.stdout and "more malformed" not in shown.stdout
    assert len(listed["missing_in_ledger"]) == 205
    assert listed["missing_in_ledger"][-1]["reference"] == "PAY-204"


def test_memory_does_not_grow_with_the_file(tmp_path: Path) -> None:
    """Peak RSS over STREAMED_ROWS rows against the same command over the header alone.

    Today's code held the file and its report whole: about 100 MB more at 30,000 rows.
    """
    header_only, big = tmp_path / "header.csv", tmp_path / "big.csv"
    header_only.write_text(HEADER)
    with big.open("w") as out:
        out.write(HEADER)
        out.writelines(f"PAY-{n},{n % 900 + 1}.00,EUR,settled,2026-11-01\n"
                       for n in range(STREAMED_ROWS))  # fmt: skip
    database = f"sqlite:///{tmp_path / 'ledger.db'}"
    argv = ("--db", database, "reconcile", "--json", "--settlements")
    env = clean_env()

    baseline = peak_rss_mb((*argv, str(header_only)), env)
    streamed = peak_rss_mb((*argv, str(big)), env)

    assert streamed - baseline < OVER_BASELINE_MB, (baseline, streamed)


def test_the_scratch_database_is_removed_when_the_run_ends(tmp_path: Path) -> None:
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    good, latin = tmp_path / "good.csv", tmp_path / "latin.csv"
    good.write_text(HEADER + "PAY-1,1.00,EUR,settled,2026-11-01\nPAY-2,x,EUR,settled,\n")
    latin.write_bytes((HEADER + "PAY-1,1.00,EUR,settled,2026-11-01\nPAY-\xe9\n").encode("latin-1"))
    cli = Ledger(f"sqlite:///{tmp_path / 'ledger.db'}", tmp_path)
    env = clean_env(TMPDIR=str(scratch))

    done = cli.run("reconcile", "--settlements", str(good), env=env)
    refused = cli.run("reconcile", "--settlements", str(latin), env=env)  # refused mid-file

    assert done.code == 0, done.describe()
    assert refused.code == 2 and "is not UTF-8 (byte 83)" in refused.stderr, refused.describe()
    assert list(scratch.iterdir()) == []
