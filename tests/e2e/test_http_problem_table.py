"""Every problem type the server can answer is documented: the README's problem table lists
each `code` under its status, and has a row for every problem status of the OpenAPI document.

The codes are read from the code (the named problems of `api.problems`, every `LedgerError`
of the packages the server runs, and every literal code handed to `problems.named` or
`problems.problem`), so a new problem type fails here until the README lists it.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

import api
import ledger
from api import problems
from ledger.domain.errors import LedgerError

from .http_support import Server

ROOT = Path(__file__).resolve().parents[2]
ROW = re.compile(r"^\| (\d{3}) \| (.+) \|$")

# The LedgerErrors that no request can raise, and why; every other one reaches a client.
NOT_ANSWERED = {
    "ledger-error": "the base class: never raised itself",
    "invalid-policy": "the policy file is read when the server starts",
    "invalid-database-url": "`--db` is read when the server starts",
    "invalid-kafka-settings": "the server publishes nothing to Kafka",
    "invalid-key-file": "`ledger audit` commands read key files; the server reads none",
    "invalid-receipt": "`ledger audit verify-receipt` only",
    "invalid-witness-state": "`ledger audit witness` only",
    "log-unreachable": "`ledger audit witness` only (the server is the log it reaches)",
    "invalid-note": "`ledger audit` commands read notes from files; the server signs its own",
    "invalid-bundle": "`ledger audit verify-bundle` only",
    "token-not-found": "`ledger tokens revoke` only",
    "malformed-orders": "`ledger orders import` only",
    "invalid-setting": "the database timeouts are read when the server starts",
}
# Answered by no route, so no operation of the OpenAPI document lists them.
OUTSIDE_ROUTES = {405, 500}


@pytest.fixture
def anonymous(http_server: Server) -> Iterator[httpx.Client]:
    with http_server.client() as client:  # the OpenAPI document needs no token
        yield client


def test_every_problem_type_the_server_answers_is_in_the_readme_under_its_status(
    anonymous: httpx.Client,
) -> None:
    table = readme_problem_table()
    answered = answered_codes()

    missing = {code: status for code, status in answered.items() if code not in table[status]}
    assert not missing, f"README's problem table lacks (code: status) {missing}"
    documented = openapi_problem_statuses(anonymous.get("/openapi.json").json())
    undocumented = set(answered.values()) - documented - OUTSIDE_ROUTES
    assert not undocumented, f"no operation of the OpenAPI document lists {undocumented}"
    assert documented <= {status for status, codes in table.items() if codes}, documented


def test_the_codes_left_out_of_the_table_exist_and_are_not_named_problems() -> None:
    errors = error_codes()

    assert set(NOT_ANSWERED) <= set(errors), set(NOT_ANSWERED) - set(errors)
    assert not set(NOT_ANSWERED) & set(problems.TITLES)
    assert "malformed-body" in answered_codes()  # the reader finds what it should


def answered_codes() -> dict[str, int]:
    """Every problem code the server can answer, with its status."""
    found = {code: status for code, (status, _title) in problems.TITLES.items()}
    for code, kind in error_codes().items():
        if code not in NOT_ANSWERED:
            found[code] = problems.status_of(kind)
    for code in literal_codes():
        assert code in found, f"{code!r} is handed to problems.named/problem but has no status"
    return found


def error_codes() -> dict[str, type[LedgerError]]:
    """The code of every LedgerError of the packages `ledger` and `api` (all imported)."""
    for package in (ledger, api):
        for module in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            importlib.import_module(module.name)
    found: dict[str, type[LedgerError]] = {}
    pending: list[type[LedgerError]] = [LedgerError]
    while pending:
        kind = pending.pop()
        if kind.__module__.split(".")[0] in ("ledger", "api"):  # not the tests' own
            found.setdefault(kind.code, kind)
        pending.extend(kind.__subclasses__())
    return found


def literal_codes() -> set[str]:
    """The string codes written into calls of `named(code, ...)` and `problem(status, code, ...)`
    anywhere in the package `api`."""
    codes: set[str] = set()
    for path in (ROOT / "api").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "attr", getattr(node.func, "id", None))
            place = {"named": 0, "problem": 1}.get(str(name))
            if place is not None and len(node.args) > place:
                argument = node.args[place]
                if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
                    codes.add(argument.value)
    return codes


def readme_problem_table() -> dict[int, set[str]]:
    """The codes in each row of the table in the README's section "### Errors"."""
    section = (ROOT / "README.md").read_text().split("\n### Errors\n", 1)[1].split("\n### ")[0]
    table: dict[int, set[str]] = {}
    for line in section.splitlines():
        row = ROW.match(line)
        if row:
            table.setdefault(int(row.group(1)), set()).update(re.findall(r"`([^`]+)`", row[2]))
    assert table, "no problem table under ### Errors"
    return {status: table.get(status, set()) for status in range(400, 600)}


def openapi_problem_statuses(document: dict[str, object]) -> set[int]:
    """The error statuses that some operation of the OpenAPI document lists."""
    paths = document["paths"]
    assert isinstance(paths, dict)
    return {
        int(status)
        for item in paths.values()
        for operation in item.values()
        for status in operation.get("responses", {})
        if status.isdigit() and int(status) >= 400
    }
