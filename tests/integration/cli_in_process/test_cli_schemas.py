"""`ledger schemas export` writes the checked-in schemas, without touching a database."""

from __future__ import annotations

import json
from pathlib import Path

from ..in_process import Ledger

SCHEMAS = Path(__file__).resolve().parents[3] / "schemas"


def test_export_writes_one_schema_per_published_event_like_the_checked_in_ones(
    tmp_path: Path,
) -> None:
    ledger = Ledger("sqlite:///unused.db", tmp_path)

    outcome = ledger.run("schemas", "export", "--out", "out/schemas", db=False)

    assert outcome.code == 0, outcome.describe()
    assert outcome.stdout == "wrote 19 schemas to out/schemas\n"
    written = {path.name: path.read_text() for path in (tmp_path / "out/schemas").iterdir()}
    assert written == {path.name: path.read_text() for path in SCHEMAS.iterdir()}
    assert sorted(tmp_path.iterdir()) == [tmp_path / "out"]  # no ledger.db created


def test_export_lists_the_written_files_as_json(tmp_path: Path) -> None:
    outcome = Ledger("sqlite:///unused.db", tmp_path).run("schemas", "export", "--json", db=False)

    assert outcome.code == 0, outcome.describe()
    listed = json.loads(outcome.stdout)
    assert "schemas/refunds.Requested.v2.json" in listed
    assert sorted(listed) == sorted(f"schemas/{path.name}" for path in SCHEMAS.iterdir())
