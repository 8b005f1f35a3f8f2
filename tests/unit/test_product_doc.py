"""Every section of docs/product.md that the code cites exists, and nothing cites the old SPEC."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = ROOT / "docs" / "product.md"
PACKAGES = ("ledger", "cli", "api", "consumers", "benchmarks", "tests")

HEADING = re.compile(r"^#{2,6} (\d+(?:\.\d+)*)\.? ", re.MULTILINE)
CITATION = re.compile(r"docs/product\.md §(\d+(?:\.\d+)*)")
OLD_CITATION = re.compile(r"\bSPEC (?:section )?\d")


def sections(text: str) -> set[str]:
    """The numbers of the numbered headings (`## 2. Domain`, `### 2.1 ...` gives 2 and 2.1)."""
    return {match.group(1) for match in HEADING.finditer(text)}


def sources() -> list[Path]:
    return sorted(path for package in PACKAGES for path in (ROOT / package).rglob("*.py"))


def citations() -> dict[str, list[str]]:
    """Each cited section, with the places (`path:line`) that cite it."""
    cited: dict[str, list[str]] = {}
    for path in sources():
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            for match in CITATION.finditer(line):
                where = f"{path.relative_to(ROOT)}:{number}"
                cited.setdefault(match.group(1), []).append(where)
    return cited


def test_sections_are_read_from_the_headings() -> None:
    text = "# Title\n## 1. Users\n### 2.1 Lifecycle\n### 2.2. Invariants\nSee 3. here\n"
    assert sections(text) == {"1", "2.1", "2.2"}


def test_product_doc_has_the_sections_the_issue_names() -> None:
    expected = {"1", "2", "2.1", "2.2", "2.3", "2.4", "3", "4", "5", "6", "7", "8"}
    assert expected <= sections(PRODUCT.read_text(encoding="utf-8"))


def test_the_code_cites_the_product_doc() -> None:
    assert citations(), "no `docs/product.md §n` found: has the citation form changed?"


def test_every_cited_section_exists_in_the_product_doc() -> None:
    known = sections(PRODUCT.read_text(encoding="utf-8"))
    missing = {
        number: places for number, places in sorted(citations().items()) if number not in known
    }
    assert not missing, f"cited sections that docs/product.md lacks: {missing}"


def test_nothing_cites_the_spec_outside_the_repository() -> None:
    places = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in sources()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if OLD_CITATION.search(line) and path != Path(__file__).resolve()
    ]
    assert not places, f"cite docs/product.md §n instead of SPEC n: {places}"
