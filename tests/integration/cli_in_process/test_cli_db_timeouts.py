"""A database timeout setting that cannot work is one line and exit 2, before any work."""

from __future__ import annotations

from pathlib import Path

from cli_support import clean_env

from ..in_process import Ledger


def test_a_bad_database_timeout_is_a_usage_error(sqlite_url: str, tmp_path: Path) -> None:
    ledger = Ledger(sqlite_url, tmp_path)
    for variable in ("LEDGER_DB_CONNECT_TIMEOUT", "LEDGER_DB_STATEMENT_TIMEOUT"):
        outcome = ledger.run("list", env=clean_env(**{variable: "soon"}))
        assert outcome.code == 2, outcome.describe()
        assert outcome.stderr == (
            f"error: {variable} must be a number of seconds from "
            f"{'0.5' if 'CONNECT' in variable else '0'} to 3600, not 'soon'\n"
        ), outcome.describe()
    assert not Path(sqlite_url.removeprefix("sqlite:///")).exists()  # nothing opened
