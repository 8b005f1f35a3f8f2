"""The domain is pure: standard library, eventsourcing.domain and pydantic only."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import ledger.domain

DOMAIN = Path(ledger.domain.__file__).parent
MODULES = sorted(DOMAIN.rglob("*.py"))

FORBIDDEN = (
    "psycopg",
    "psycopg_pool",
    "kafka",
    "confluent_kafka",
    "aiokafka",
    "click",
    "fastapi",
    "uvicorn",
    "sqlite3",
    "os",
    "eventsourcing.postgres",
    "eventsourcing.sqlite",
    "eventsourcing.popo",
    "eventsourcing.application",
    "eventsourcing.persistence",
    "eventsourcing.projection",
)


def imported_names(source: str, package: str = "ledger.domain") -> set[str]:
    """Every module an import statement names, with `from a import b` also giving `a.b`."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{parent}.{base}" if base else parent
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def violations(names: set[str]) -> list[str]:
    bad = []
    for name in sorted(names):
        if any(name == f or name.startswith(f + ".") for f in FORBIDDEN):
            bad.append(name)
        elif name.split(".")[0] == "ledger" and not (
            name == "ledger.domain" or name.startswith("ledger.domain.")
        ):
            bad.append(name)
    return bad


def test_every_domain_module_is_checked() -> None:
    names = {path.name for path in MODULES}
    assert {"refund.py", "policy.py", "money.py", "order.py", "fraud.py"} <= names


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_domain_module_imports_no_infrastructure(path: Path) -> None:
    package = ".".join(("ledger", "domain", *path.relative_to(DOMAIN).parent.parts))
    names = imported_names(path.read_text(encoding="utf-8"), package)

    assert violations(names) == []


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_domain_module_does_not_read_the_environment(path: Path) -> None:
    text = path.read_text(encoding="utf-8")

    assert "os.environ" not in text
    assert "getenv" not in text


@pytest.mark.parametrize(
    "source",
    [
        "import os",
        "import psycopg",
        "from os import environ",
        "from eventsourcing.postgres import PostgresRecorder",
        "from eventsourcing import persistence",
        "from eventsourcing.application import Application",
        "import kafka.producer",
        "from click import command",
        "from ledger.app.service import RefundLedger",
        "from ledger import config",
        "from .. import bootstrap",
        "from ..projections import status",
    ],
)
def test_checker_catches_forbidden_imports(source: str) -> None:
    assert violations(imported_names(source)) != []


@pytest.mark.parametrize(
    "source",
    [
        "from eventsourcing.domain import Aggregate",
        "from pydantic import BaseModel",
        "from ledger.domain import payloads as e",
        "from . import money",
        "from .errors import RefundError",
        "import hashlib, json",
        "import osmosis",
    ],
)
def test_checker_allows_the_standard_library_and_the_domain(source: str) -> None:
    assert violations(imported_names(source)) == []
