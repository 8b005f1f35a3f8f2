"""docs/architecture.md names only files and folders that exist, and every layer package."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "architecture.md"
#: a backticked repository path: `ledger/app/service.py`, `ledger/store/`, `api/routes/`
PATH = re.compile(r"`((?:ledger|cli|api|consumers|benchmarks|tests|scripts|docs)/[^`\s]*)`")


def named_paths(text: str) -> list[str]:
    """Each path the doc names; `a/{b,c}.py` stands for a/b.py and a/c.py, `(X)` is left off."""
    found: list[str] = []
    for match in PATH.finditer(text):
        path = match.group(1).split(" ")[0]
        braces = re.fullmatch(r"(.*)\{([^}]*)\}(.*)", path)
        if braces:
            head, names, tail = braces.groups()
            found.extend(f"{head}{name}{tail}" for name in names.split(","))
        else:
            found.append(path)
    return found


def test_every_path_the_architecture_doc_names_exists() -> None:
    text = DOC.read_text(encoding="utf-8")
    paths = named_paths(text)
    missing = sorted({path for path in paths if not any(ROOT.glob(path.rstrip("/")))})

    assert len(paths) > 40  # the doc's table of where things are
    assert missing == []


def test_the_doc_reads_braces_as_several_paths() -> None:
    assert named_paths("`ledger/projections/{status,trail}.py` and `api/routes/`") == [
        "ledger/projections/status.py",
        "ledger/projections/trail.py",
        "api/routes/",
    ]
