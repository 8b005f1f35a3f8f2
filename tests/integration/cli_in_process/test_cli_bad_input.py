"""Bad input through the `ledger` CLI (in-process, behind the console script's own guard):
the exit code of docs/product.md §7, one line on stderr, no traceback, and nothing stored.

Malformed input exits 2; a refusal by a domain rule, or an unknown refund, exits 1. Every case
runs on SQLite; the cases named in ON_POSTGRES run on PostgreSQL too (a database each, and the
parsing they share does not depend on the store).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pytest
from cli_support import (
    BASE_REQUEST,
    Outcome,
    clean_env,
    days_ago,
    request_args,
    seed_pending_refund,
    stored_event_count,
)

from ..in_process import Ledger

USAGE, REFUSED = 2, 1
UNKNOWN_ID = "00000000-0000-4000-8000-000000000000"


@dataclass(frozen=True)
class Bad:
    """One bad command line: `{id}` stands for a stored refund waiting for approval."""

    args: tuple[str, ...]
    code: int
    says: str  # a fragment of the one line on stderr

    def argv(self, refund_id: str) -> list[str]:
        return [arg.replace("{id}", refund_id) for arg in self.args]


def bad_request(code: int, says: str, drop: Iterable[str] = (), **options: str) -> Bad:
    """`ledger request` with BASE_REQUEST, some options changed or dropped."""
    args = [
        arg
        for arg in request_args(**options)
        if not any(arg.startswith(f"--{name}=") for name in drop)
    ]
    return Bad(("request", *args, "--json"), code, says)


def assert_refused(outcome: Outcome, code: int, says: str) -> None:
    """The exit code, one line on stderr naming the problem, nothing on stdout, no traceback."""
    assert outcome.code == code, outcome.describe()
    line = outcome.stderr.strip()
    assert line and "\n" not in line, outcome.describe()
    assert line.startswith("error: "), outcome.describe()
    assert says.lower() in line.lower(), outcome.describe()
    assert outcome.stdout == "", outcome.describe()
    assert "Traceback" not in outcome.stdout + outcome.stderr


REQUEST_CASES: dict[str, Bad] = {
    # amounts
    "amount-negative": bad_request(USAGE, "greater than zero", amount="-5.00"),
    "amount-zero": bad_request(USAGE, "greater than zero", amount="0"),
    "amount-zero-decimals": bad_request(USAGE, "greater than zero", amount="0.00"),
    "amount-abc": bad_request(USAGE, "not a decimal number", amount="abc"),
    "amount-NaN": bad_request(USAGE, "not a finite number", amount="NaN"),
    "amount-nan": bad_request(USAGE, "not a finite number", amount="nan"),
    "amount-sNaN": bad_request(USAGE, "not a finite number", amount="sNaN"),
    "amount-Infinity": bad_request(USAGE, "not a finite number", amount="Infinity"),
    "amount-minus-inf": bad_request(USAGE, "not a finite number", amount="-inf"),
    "amount-eur-over-precise": bad_request(USAGE, "EUR has 2 decimal places", amount="1.001"),
    "amount-jpy-fraction": bad_request(
        USAGE, "JPY has 0 decimal places", amount="1.5", currency="JPY", order_total="1000"
    ),
    "amount-huge": bad_request(USAGE, "must be below", amount="1e30"),
    "amount-tiny": bad_request(USAGE, "decimal places", amount="1e-400"),
    "amount-empty": bad_request(USAGE, "not a decimal number", amount=""),
    "amount-blank": bad_request(USAGE, "not a decimal number", amount="   "),
    "amount-thousands-separator": bad_request(USAGE, "not a decimal number", amount="1,000.00"),
    "amount-missing-for-refund": bad_request(USAGE, "the amount is required", drop=["amount"]),
    "order-total-abc": bad_request(USAGE, "invalid order total", order_total="abc"),
    "order-total-zero": bad_request(USAGE, "invalid order total", order_total="0"),
    # vocabularies
    "currency-XYZ": bad_request(USAGE, "unknown currency 'XYZ'", currency="XYZ"),
    "currency-EURO": bad_request(USAGE, "unknown currency 'EURO'", currency="EURO"),
    "currency-empty": bad_request(USAGE, "unknown currency", currency=""),
    "reason-unknown": bad_request(USAGE, "unknown reason 'broken'", reason="broken"),
    "channel-unknown": bad_request(USAGE, "unknown channel 'fax'", channel="fax"),
    "method-unknown": bad_request(USAGE, "unknown settlement method 'cash'", method="cash"),
    # actors
    "actor-no-role": bad_request(USAGE, "invalid actor 'bob'", actor="bob"),
    "actor-unknown-role": bad_request(USAGE, "unknown role 'boss'", actor="boss:bob"),
    "actor-no-name": bad_request(USAGE, "invalid actor 'manager:'", actor="manager:"),
    "actor-empty-role": bad_request(USAGE, "invalid actor ':bob'", actor=":bob"),
    "actor-space-in-name": bad_request(USAGE, "invalid actor 'manager:b b'", actor="manager:b b"),
    "actor-auditor-may-not-request": bad_request(
        REFUSED, "auditor:al may not request", actor="auditor:al"
    ),
    "actor-verifier-may-not-request": bad_request(
        REFUSED, "verifier:vic may not request", actor="verifier:vic"
    ),
    "actor-customer-for-someone-else": bad_request(
        REFUSED, "for customer C-1", actor="customer:c-9"
    ),
    # dates, items, identifiers, text
    "purchased-on-month-13": bad_request(
        USAGE, "invalid purchase date '2026-13-01'", purchased_on="2026-13-01"
    ),
    "purchased-on-yesterday": bad_request(
        USAGE, "invalid purchase date 'yesterday'", purchased_on="yesterday"
    ),
    "purchased-on-future": bad_request(USAGE, "in the future", purchased_on="2999-01-01"),
    "purchased-on-tomorrow": bad_request(USAGE, "in the future", purchased_on=days_ago(-2)),
    "item-no-quantity": bad_request(USAGE, "invalid item 'SKU-1'", item="SKU-1"),
    "item-zero": bad_request(USAGE, "whole number", item="SKU-1:0"),
    "item-words": bad_request(USAGE, "whole number", item="SKU-1:two"),
    "item-superscript": bad_request(USAGE, "whole number", item="SKU-1:²"),
    "item-no-sku": bad_request(USAGE, "invalid item ':3'", item=":3"),
    "order-id-with-space": bad_request(USAGE, "invalid order id", order="O 1"),
    "customer-id-empty": bad_request(USAGE, "invalid customer id", customer=""),
    "note-too-long": bad_request(USAGE, "longer than", note="x" * 2001),
    "note-control-character": bad_request(
        USAGE, "note contains a control character (U+0001) at position 2", note="a\x01b"
    ),
    "idempotency-key-with-space": bad_request(
        USAGE, "invalid idempotency key", idempotency_key="a key"
    ),
    "missing-currency": bad_request(USAGE, "Missing option '--currency'", drop=["currency"]),
    # the order's balance (the stored refund holds 200.00 of order O-1's 250.00)
    "over-refundable-on-order": bad_request(REFUSED, "50.00 EUR of 250.00", amount="60.00"),
    "over-order-total": bad_request(
        REFUSED, "left to refund", order="O-9", amount="150.00", order_total="100.00"
    ),
    "order-total-mismatch": bad_request(
        REFUSED, "recorded with order total 250.00 EUR, not 300.00", order_total="300.00"
    ),
    "order-currency-mismatch": bad_request(
        REFUSED, "recorded with currency EUR, not USD", currency="USD"
    ),
}

COMMAND_CASES: dict[str, Bad] = {
    # unknown refunds: a valid UUID is not found (1), anything else is malformed (2)
    "show-unknown": Bad(("show", UNKNOWN_ID, "--json"), REFUSED, "not found"),
    "history-unknown": Bad(("history", UNKNOWN_ID, "--json"), REFUSED, "not found"),
    "approve-unknown": Bad(("approve", UNKNOWN_ID, "--actor", "manager:bob"), REFUSED, "not found"),
    "verify-unknown": Bad(("verify", UNKNOWN_ID, "--actor", "verifier:vic"), REFUSED, "not found"),
    "payout-start-unknown": Bad(
        ("payout", "start", UNKNOWN_ID, "--actor", "finance:fay"), REFUSED, "not found"
    ),
    "reject-unknown": Bad(
        ("reject", UNKNOWN_ID, "--actor", "manager:bob", "--reason", "x"), REFUSED, "not found"
    ),
    "cancel-unknown": Bad(
        ("cancel", UNKNOWN_ID, "--actor", "agent:ann", "--reason", "x"), REFUSED, "not found"
    ),
    "note-unknown": Bad(
        ("note", UNKNOWN_ID, "--actor", "agent:ann", "--text", "x"), REFUSED, "not found"
    ),
    "dispute-open-unknown": Bad(
        ("dispute", "open", UNKNOWN_ID, "--actor", "agent:ann", "--reason", "x"),
        REFUSED,
        "not found",
    ),
    "show-123": Bad(("show", "123"), USAGE, "invalid refund id '123'"),
    "history-123": Bad(("history", "123"), USAGE, "invalid refund id '123'"),
    "approve-123": Bad(("approve", "123", "--actor", "manager:bob"), USAGE, "invalid refund id"),
    "verify-123": Bad(("verify", "123", "--actor", "verifier:vic"), USAGE, "invalid refund id"),
    "payout-start-123": Bad(
        ("payout", "start", "123", "--actor", "finance:fay"), USAGE, "invalid refund id"
    ),
    "show-missing-refund": Bad(("show",), USAGE, "Missing argument 'REFUND'"),
    # times
    "show-as-of-garbage": Bad(("show", "{id}", "--as-of", "garbage"), USAGE, "invalid --as-of"),
    "show-as-of-out-of-range": Bad(
        ("show", "{id}", "--as-of", "0001-01-01T00:00:00+01:00"), USAGE, "invalid --as-of"
    ),
    "show-as-of-before-creation": Bad(
        ("show", "{id}", "--as-of", "2000-01-01T00:00:00Z"), REFUSED, "did not exist yet"
    ),
    "sla-sweep-now-garbage": Bad(("sla", "sweep", "--now", "garbage"), USAGE, "invalid --now"),
    "sla-sweep-now-out-of-range": Bad(
        ("sla", "sweep", "--now", "9999-12-31T23:59:59-05:00"), USAGE, "invalid --now"
    ),
    # decisions on the stored refund (200.00 EUR, waiting at the manager tier)
    "approve-over-request": Bad(
        ("approve", "{id}", "--actor", "manager:bob", "--amount", "250.00"),
        REFUSED,
        "the request is for 200.00 EUR",
    ),
    "approve-negative": Bad(
        ("approve", "{id}", "--actor", "manager:bob", "--amount=-5"), USAGE, "greater than zero"
    ),
    "approve-zero": Bad(
        ("approve", "{id}", "--actor", "manager:bob", "--amount", "0"), USAGE, "greater than zero"
    ),
    "approve-over-precise": Bad(
        ("approve", "{id}", "--actor", "manager:bob", "--amount", "1.001"), USAGE, "decimal places"
    ),
    "approve-by-auditor": Bad(
        ("approve", "{id}", "--actor", "auditor:al"), REFUSED, "may not approve"
    ),
    "approve-by-requester": Bad(
        ("approve", "{id}", "--actor", "manager:ann"), REFUSED, "somebody else"
    ),
    "approve-malformed-actor": Bad(("approve", "{id}", "--actor", "bob"), USAGE, "invalid actor"),
    "verify-already-verified": Bad(
        ("verify", "{id}", "--actor", "verifier:vic"), REFUSED, "cannot verify"
    ),
    "reject-missing-reason": Bad(
        ("reject", "{id}", "--actor", "manager:bob"), USAGE, "Missing option '--reason'"
    ),
    "reject-empty-reason": Bad(
        ("reject", "{id}", "--actor", "manager:bob", "--reason", " "), USAGE, "must not be empty"
    ),
    "escalate-by-verifier": Bad(
        ("escalate", "{id}", "--actor", "verifier:vic", "--reason", "x"), REFUSED, "may not"
    ),
    "cancel-by-auditor": Bad(
        ("cancel", "{id}", "--actor", "auditor:al", "--reason", "x"), REFUSED, "may not cancel"
    ),
    "note-empty": Bad(("note", "{id}", "--actor", "agent:ann", "--text", ""), USAGE, "empty"),
    "note-by-auditor": Bad(
        ("note", "{id}", "--actor", "auditor:al", "--text", "x"), REFUSED, "may not add a note"
    ),
    "payout-start-before-approval": Bad(
        ("payout", "start", "{id}", "--actor", "finance:fay"), REFUSED, "pending_approval"
    ),
    "payout-start-unknown-method": Bad(
        ("payout", "start", "{id}", "--actor", "finance:fay", "--method", "cash"),
        USAGE,
        "unknown settlement method",
    ),
    "payout-settle-without-reference": Bad(
        ("payout", "settle", "{id}", "--actor", "finance:fay"), USAGE, "--reference"
    ),
    "payout-fail-without-reason": Bad(
        ("payout", "fail", "{id}", "--actor", "finance:fay"), USAGE, "--reason"
    ),
    "dispute-open-while-pending": Bad(
        ("dispute", "open", "{id}", "--actor", "agent:ann", "--reason", "x"),
        REFUSED,
        "cannot dispute",
    ),
    "dispute-resolve-bogus-outcome": Bad(
        (
            "dispute",
            "resolve",
            "{id}",
            "--actor",
            "disputes:dora",
            "--outcome",
            "bogus",
            "--rationale",
            "x",
        ),
        USAGE,
        "unknown outcome 'bogus'",
    ),
    # listing and the command line itself
    "list-unknown-status": Bad(("list", "--status", "bogus"), USAGE, "unknown status 'bogus'"),
    "list-malformed-customer": Bad(("list", "--customer", "a b"), USAGE, "invalid customer id"),
    "list-unknown-option": Bad(("list", "--bogus"), USAGE, "No such option"),
    "unknown-command": Bad(("frobnicate",), USAGE, "No such command 'frobnicate'"),
    "missing-command": Bad((), USAGE, "Missing command"),
    "unknown-subcommand": Bad(("payout", "refund", "{id}"), USAGE, "No such command"),
}

ON_POSTGRES = {
    "amount-nan",
    "amount-eur-over-precise",
    "amount-jpy-fraction",
    "currency-XYZ",
    "actor-space-in-name",
    "actor-auditor-may-not-request",
    "purchased-on-future",
    "over-refundable-on-order",
    "over-order-total",
    "order-total-mismatch",
    "show-unknown",
    "history-unknown",
    "approve-unknown",
    "verify-unknown",
    "payout-start-unknown",
    "show-123",
    "show-as-of-garbage",
    "show-as-of-before-creation",
    "sla-sweep-now-garbage",
    "approve-over-request",
    "approve-negative",
    "approve-by-requester",
    "dispute-resolve-bogus-outcome",
    "payout-start-before-approval",
    "list-unknown-status",
}


def on_backends(cases: dict[str, Bad]) -> list[pytest.ParameterSet]:
    """Every case on SQLite; the representative ones on PostgreSQL as well."""
    params = []
    for name, case in cases.items():
        params.append(pytest.param(case, "sqlite", id=f"{name}-sqlite"))
        if name in ON_POSTGRES:
            marks = pytest.mark.postgres
            params.append(pytest.param(case, "postgres", id=f"{name}-postgres", marks=marks))
    return params


def test_every_postgres_case_exists() -> None:
    assert ON_POSTGRES <= REQUEST_CASES.keys() | COMMAND_CASES.keys()


@pytest.mark.parametrize(("case", "backend"), on_backends(REQUEST_CASES | COMMAND_CASES))
def test_bad_input_exits_with_one_line_and_stores_nothing(
    case: Bad, backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    database_url = str(request.getfixturevalue(f"{backend}_url"))
    refund_id = seed_pending_refund(database_url)
    before = stored_event_count(database_url)
    ledger = Ledger(database_url, tmp_path)

    outcome = ledger.run(*case.argv(refund_id))

    assert_refused(outcome, case.code, case.says)
    assert stored_event_count(database_url) == before


# --- configuration: the database URL and the policy file ---


@pytest.mark.parametrize(
    ("url", "says"),
    [
        pytest.param("mysql://db/ledger", "unsupported scheme 'mysql'", id="unsupported-scheme"),
        pytest.param("not a url", "unsupported scheme", id="no-scheme"),
        pytest.param("", "it is empty", id="empty"),
        pytest.param("sqlite:///no/such/dir/ledger.db", "does not exist", id="sqlite-no-dir"),
        pytest.param("sqlite://", "no file name", id="sqlite-no-file"),
        pytest.param("postgresql:///ledger", "no host", id="postgres-no-host"),
        pytest.param("postgresql://db:99999/ledger", "port is not a number", id="postgres-port"),
        pytest.param("postgresql://db:5432/", "no database name", id="postgres-no-dbname"),
    ],
)
def test_malformed_database_url_is_a_usage_error(url: str, says: str, tmp_path: Path) -> None:
    ledger = Ledger(url, tmp_path)

    outcome = ledger.run("--db", url, "request", *request_args(), db=False)

    assert_refused(outcome, USAGE, says)
    assert list(tmp_path.iterdir()) == []  # no default ledger.db created instead


@pytest.mark.parametrize(
    ("policy", "says"),
    [
        pytest.param(None, "cannot read policy file", id="missing-file"),
        pytest.param("[approval\nlimits = 3\n", "not valid TOML", id="invalid-toml"),
        pytest.param(b"\xff\xfe[sla]", "not valid TOML", id="not-utf8"),
        pytest.param('[goodwill]\nstandard_percent = "150"\n', "invalid policy", id="percent"),
        pytest.param('[sla]\npending_approval_hours = "soon"\n', "invalid policy", id="hours"),
    ],
)
@pytest.mark.parametrize("command", [("request", *request_args()), ("policy", "show")])
def test_unusable_policy_file_is_a_usage_error_and_stores_nothing(
    policy: str | bytes | None, says: str, command: tuple[str, ...], sqlite_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "policy.toml"
    if isinstance(policy, str):
        path.write_text(policy, encoding="utf-8")
    elif isinstance(policy, bytes):
        path.write_bytes(policy)
    before = stored_event_count(sqlite_url)
    ledger = Ledger(sqlite_url, tmp_path)

    outcome = ledger.run(*command, env=clean_env(LEDGER_POLICY=str(path)))

    assert_refused(outcome, USAGE, says)
    assert stored_event_count(sqlite_url) == before


def test_unusable_policy_file_is_refused_on_postgres_too(postgres_url: str, tmp_path: Path) -> None:
    before = stored_event_count(postgres_url)
    env = clean_env(LEDGER_POLICY=str(tmp_path / "absent.toml"))

    outcome = Ledger(postgres_url, tmp_path).run("request", *request_args(), env=env)

    assert_refused(outcome, USAGE, "cannot read policy file")
    assert stored_event_count(postgres_url) == before


def test_base_request_is_valid(sqlite_url: str, tmp_path: Path) -> None:
    """The cases above fail for the one reason they name: without it the request succeeds."""
    assert Ledger(sqlite_url, tmp_path).request()["order_id"] == BASE_REQUEST["order"]
