"""`ledger reconcile` through the CLI (in-process): one settlement file with every kind of finding.

The ledger is set up once per back end (module scope): payouts settled with references, failed
ones, a pending one, and settled ones the file does not list. Every test only reads it.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
import pytest
from cli_support import stored_event_count
from psycopg import sql

from ledger.app.commands import RefundRequestIn
from ledger.app.period import Period
from ledger.app.service import RefundLedger
from ledger.bootstrap import bootstrap
from ledger.config import Settings
from ledger.domain.actor import Actor
from ledger.projections import queries
from ledger.projections.runner import Projections, all_views
from ledger.reconcile.matching import LedgerPayout
from ledger.reconcile.report import reconcile
from ledger.reconcile.settlements import parse_settlements

from ..in_process import Ledger

AGENT, FINANCE = Actor.parse("agent:ann"), Actor.parse("finance:fay")

#: What the ledger holds, by name: (amount, currency, what finance recorded, its reference).
PAYOUTS: dict[str, tuple[str, str, str, str | None]] = {
    "match": ("30.00", "EUR", "settled", "PAY-MATCH"),
    "yen": ("40", "JPY", "settled", "YEN,1"),  # a reference with a comma: quoted in the file
    "amount": ("40.00", "EUR", "settled", "PAY-AMOUNT"),
    "currency": ("20.00", "EUR", "settled", "PAY-CURRENCY"),
    "failed_here": ("25.00", "EUR", "failed", "PAY-FAILED"),
    "bounced": ("15.00", "EUR", "settled", "PAY-BOUNCED"),
    "both_failed": ("10.00", "EUR", "failed", "PAY-BOTH-FAILED"),
    "dup_1": ("11.00", "EUR", "settled", "PAY-DUP"),
    "dup_2": ("12.00", "EUR", "settled", "PAY-DUP"),
    "bad_row": ("13.00", "EUR", "settled", "PAY-BAD-ROW"),
    "absent": ("35.00", "EUR", "settled", "PAY-ABSENT"),
    "pending": ("14.00", "EUR", "pending", None),
}

#: The provider's file: a byte-order mark, columns in another order, an extra column.
SETTLEMENTS = "\ufeff" + "\r\n".join(
    [
        "Settled_At,Reference,Amount,Currency,Status,Fee",
        "2026-11-01T10:00:00Z,PAY-MATCH,30.00,EUR,settled,0.10",  # 2
        '2026-11-01T10:00:00Z,"YEN,1",40,jpy,SETTLED,0',  # 3
        "2026-11-01T10:00:00Z,PAY-AMOUNT,41.00,EUR,settled,0",  # 4
        "2026-11-01T10:00:00Z,PAY-CURRENCY,20.00,USD,settled,0",  # 5
        "2026-11-01T10:00:00Z,PAY-FAILED,25.00,EUR,settled,0",  # 6
        ",PAY-BOUNCED,15.00,EUR,failed,0",  # 7
        ",PAY-BOTH-FAILED,10.00,EUR,failed,0",  # 8
        "2026-11-01T10:00:00Z,PAY-DUP,11.00,EUR,settled,0",  # 9
        "2026-11-01T10:00:00Z,PAY-UNKNOWN,9.99,EUR,settled,0",  # 10
        "2026-11-01T10:00:00Z,PAY-PENDING,14.00,EUR,settled,0",  # 11
        "2026-11-01T10:00:00Z,PAY-BAD-ROW,NaN,EUR,settled,0",  # 12
        "2026-11-01T10:00:00Z,PAY-SHORT,1.00,EUR",  # 13
        "2026-11-01T10:00:00Z,,1.00,EUR,settled,0",  # 14
        "2026-11-01T10:00:00Z,PAY-NEG,-1.00,EUR,settled,0",  # 15
        "2026-11-01T10:00:00Z,PAY-CENTS,1.5,JPY,settled,0",  # 16
        "2026-11-01T10:00:00Z,PAY-XYZ,1.00,XYZ,settled,0",  # 17
        "2026-11-01T10:00:00Z,PAY-WAIT,1.00,EUR,pending,0",  # 18
        "last tuesday,PAY-WHEN,1.00,EUR,settled,0",  # 19
        "2026-11-01T10:00:00Z,PAY-MATCH,30.00,EUR,settled,0",  # 20
        "2026-11-01T10:00:00Z,[/bold]PAY,[red]1,EUR,settled,0",  # 21: rich markup, shown as is
        "",
    ]
)

#: Every malformed line of SETTLEMENTS and a phrase of its reason.
MALFORMED = {
    12: "invalid amount 'NaN'",
    13: "has 4 field(s); the header has 6",
    14: "the reference must not be empty",
    15: "must be greater than zero",
    16: "JPY has 0 decimal places",
    17: "unknown currency 'XYZ'",
    18: "unknown status 'pending'",
    19: "invalid settled_at 'last tuesday'",
    20: "duplicate reference (first on line 2)",
    21: "invalid amount '[red]1'",
}


@dataclass(frozen=True)
class Seeded:
    ledger: Ledger
    refunds: dict[str, str]  # PAYOUTS name -> refund id
    settlements: Path


def _backend_url(request: pytest.FixtureRequest, workdir: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{workdir / 'ledger.db'}"
    server = request.getfixturevalue("postgres_server")
    name = f"test_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(server.get_uri(), autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return str(server.get_uri(name))


def _pay(
    app: RefundLedger, n: int, amount: str, currency: str, outcome: str, ref: str | None
) -> str:
    form = RefundRequestIn.model_validate(
        dict(order_id=f"O-{n}", customer_id=f"C-{n}", amount=amount, currency=currency,
                    order_total="100", reason="billing_error")
    )  # fmt: skip
    refund = app.request(AGENT, form)
    assert refund.status == "approved", refund.status
    app.start_payout(refund.id, FINANCE, None)
    if outcome == "settled" and ref is not None:
        app.settle_payout(refund.id, FINANCE, ref)
    elif outcome == "failed":
        app.fail_payout(refund.id, FINANCE, "account closed", ref)
    return str(refund.id)


@pytest.fixture(
    scope="module",
    params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
    ids=["sqlite", "postgres"],
)
def seeded(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Seeded:
    """Every payout of PAYOUTS stored in-process and the views caught up; SETTLEMENTS on disk."""
    workdir = tmp_path_factory.mktemp("reconcile")
    url = _backend_url(request, workdir)
    app = bootstrap(Settings(database_url=url)).ledger
    try:
        refunds = {name: _pay(app, n, *spec) for n, (name, spec) in enumerate(PAYOUTS.items())}
        Projections(app).catch_up()  # so that reading them afterwards moves nothing
    finally:
        app.close()
    settlements = workdir / "settlements.csv"
    settlements.write_text(SETTLEMENTS, encoding="utf-8", newline="")
    return Seeded(Ledger(url, workdir), refunds, settlements)


def _found(
    report: dict[str, Any], category: str
) -> list[tuple[str | None, int | None, str | None]]:
    return [(i["reference"], i["line"], i["refund_id"]) for i in report[category]]


def test_json_report_puts_every_row_and_payout_in_its_category(seeded: Seeded) -> None:
    report = seeded.ledger.ok("reconcile", "--settlements", str(seeded.settlements))
    ids = seeded.refunds

    assert _found(report, "matched") == [("PAY-MATCH", 2, ids["match"]), ("YEN,1", 3, ids["yen"])]
    assert _found(report, "amount_mismatch") == [("PAY-AMOUNT", 4, ids["amount"])]
    assert _found(report, "currency_mismatch") == [("PAY-CURRENCY", 5, ids["currency"])]
    assert _found(report, "failed_in_ledger") == [("PAY-FAILED", 6, ids["failed_here"])]
    assert _found(report, "failed_at_provider") == [("PAY-BOUNCED", 7, ids["bounced"])]
    assert _found(report, "failed_in_both") == [("PAY-BOTH-FAILED", 8, ids["both_failed"])]
    assert _found(report, "duplicate_in_ledger") == [
        ("PAY-DUP", 9, ids["dup_1"]),
        ("PAY-DUP", 9, ids["dup_2"]),
    ]
    assert _found(report, "missing_in_ledger") == [
        ("PAY-UNKNOWN", 10, None),
        ("PAY-PENDING", 11, None),
    ]
    assert _found(report, "missing_at_provider") == [("PAY-ABSENT", None, ids["absent"])]
    assert {m["line"]: m["reason"] for m in report["malformed"]}.keys() == MALFORMED.keys()
    for bad in report["malformed"]:
        assert MALFORMED[bad["line"]] in bad["reason"], bad
    assert report["malformed"][0]["refund_id"] == ids["bad_row"]

    (amount,) = report["amount_mismatch"]
    assert (amount["ledger_amount"], amount["provider_amount"]) == ("40.00", "41.00")
    (currency,) = report["currency_mismatch"]
    assert (currency["ledger_currency"], currency["provider_currency"]) == ("EUR", "USD")
    summary = report["summary"]
    assert summary["rows"] == 20
    assert summary["counts"]["malformed"] == len(MALFORMED)
    assert summary["discrepancies"] == 1 + 1 + 1 + 1 + 2 + 2 + 1 + len(MALFORMED)
    assert summary["totals"]["matched"] == {"EUR": "30.00", "JPY": "40"}
    eur = sum(Decimal(a) for a, c, o, _ in PAYOUTS.values() if o == "settled" and c == "EUR")
    assert summary["ledger_settled"] == {"EUR": str(eur), "JPY": "40"}


def test_human_report_names_every_finding(seeded: Seeded) -> None:
    outcome = seeded.ledger.run("reconcile", "--settlements", str(seeded.settlements))

    assert outcome.code == 0, outcome.describe()
    assert outcome.stderr == ""
    for category in ("amount_mismatch", "currency_mismatch", "missing_in_ledger",
                     "failed_in_ledger", "failed_at_provider", "missing_at_provider"):  # fmt: skip
        assert f"{category} (" in outcome.stdout, category
    assert f"malformed ({len(MALFORMED)})" in outcome.stdout
    assert "[/bold]PAY" in outcome.stdout and "'[red]1'" in outcome.stdout
    for reference in ("PAY-AMOUNT", "PAY-UNKNOWN", "PAY-ABSENT", "PAY-BOUNCED", "YEN,1"):
        assert reference in outcome.stdout
    assert seeded.refunds["absent"] in outcome.stdout
    assert "unknown status 'pending'" in outcome.stdout


def test_fail_on_mismatch_exits_1_after_the_report_and_the_period_narrows_the_missing(
    seeded: Seeded,
) -> None:
    file = str(seeded.settlements)
    failing = seeded.ledger.run("reconcile", "--settlements", file, "--json", "--fail-on-mismatch")
    assert failing.code == 1, failing.describe()
    assert failing.json()["summary"]["discrepancies"] > 0
    assert failing.stderr.splitlines() == [
        f"error: reconciliation found {failing.json()['summary']['discrepancies']} discrepancy(ies)"
    ]

    later = seeded.ledger.ok("reconcile", "--settlements", file, "--since", "2999-01-01")
    assert later["missing_at_provider"] == []
    assert len(later["matched"]) == 2  # a match outside the period still matches
    earlier = seeded.ledger.ok("reconcile", "--settlements", file, "--until", "2000-01-01T00:00Z")
    assert earlier["missing_at_provider"] == []
    assert earlier["summary"]["ledger_settled"] == {}


def _snapshot(url: str) -> tuple[int, dict[str, list[dict[str, Any]]], list[Any]]:
    """The store-wide event count, every view table's rows, and every view's position."""
    app = bootstrap(Settings(database_url=url)).ledger
    try:
        views = Projections(app)
        positions = views.states()
        tables: dict[str, list[dict[str, Any]]] = {}
        with views.store.reading() as db:
            for view in all_views():
                for table in view.tables:
                    rows = db.rows(sql.SQL("SELECT * FROM {}").format(sql.Identifier(table)))
                    tables[table] = sorted(rows, key=repr)
    finally:
        app.close()
    return stored_event_count(url), tables, positions


def test_reconciling_changes_nothing_stored(seeded: Seeded) -> None:
    before = _snapshot(seeded.ledger.database_url)
    seeded.ledger.run("reconcile", "--settlements", str(seeded.settlements), "--fail-on-mismatch")

    assert _snapshot(seeded.ledger.database_url) == before
    assert len(before[1]["payouts"]) == len(PAYOUTS)


@pytest.fixture
def bad_files(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    header = "reference,amount,currency,status,settled_at\n"
    files = {
        "latin-1": (header + "PAY-\xe9,1.00,EUR,settled,2026-11-01\n", "is not UTF-8"),
        "empty": ("", "the settlement file is empty"),
        "no header": ("PAY-1,1.00,EUR,settled,2026-11-01\n", "header lacks reference"),
        "no currency": ("reference,amount,status,settled_at\n", "header lacks currency"),
    }
    found = {}
    for name, (text, says) in files.items():
        path = tmp_path / f"{name}.csv"
        path.write_bytes(text.encode("latin-1" if name == "latin-1" else "utf-8"))
        found[name] = (path, says)
    found["missing"] = (tmp_path / "nope.csv", "No such file or directory")
    found["directory"] = (tmp_path, "Is a directory")
    return found


def test_a_file_that_cannot_be_reconciled_exits_2_with_one_line(
    tmp_path: Path, bad_files: dict[str, tuple[Path, str]]
) -> None:
    """The file and options are checked before the database is opened: one back end will do."""
    database = tmp_path / "never.db"
    cli = Ledger(f"sqlite:///{database}", tmp_path)
    good = tmp_path / "good.csv"
    good.write_text("reference,amount,currency,status,settled_at\n")
    cases: list[tuple[tuple[str, ...], str]] = [
        (("--settlements", str(path)), says) for path, says in bad_files.values()
    ]
    cases.append((("--settlements", str(good), "--since", "soon"), "invalid --since"))
    cases.append((("--since", "2026-02-01", "--until", "2026-01-01", "--settlements", "x.csv"),
                  "--since is after --until"))  # fmt: skip
    cases.append(((), "Missing option '--settlements'"))
    outcomes = [cli.run("reconcile", *args) for args, _ in cases]
    for outcome, (_, says) in zip(outcomes, cases, strict=True):
        assert outcome.code == 2, outcome.describe()
        assert outcome.stderr.count("\n") == 1, outcome.describe()
        assert says in outcome.stderr and "Traceback" not in outcome.stderr, outcome.describe()
        assert outcome.stdout == "", outcome.describe()
    assert not database.exists()


def test_a_payout_settled_after_the_last_run_is_matched_on_the_next(
    database_url: str, tmp_path: Path
) -> None:
    cli = Ledger(database_url, tmp_path)
    app = bootstrap(Settings(database_url=database_url)).ledger
    try:
        refund = _pay(app, 1, "30.00", "EUR", "pending", None)
    finally:
        app.close()
    settlements = tmp_path / "s.csv"
    settlements.write_text(
        "reference,amount,currency,status,settled_at\nPAY-1,30.00,EUR,settled,2026-11-01\n"
    )
    before = cli.ok("reconcile", "--settlements", str(settlements))
    assert _found(before, "missing_in_ledger") == [("PAY-1", 2, None)]

    cli.ok("payout", "settle", refund, "--actor", "finance:fay", "--reference", "PAY-1")
    after = cli.ok("reconcile", "--settlements", str(settlements))

    assert _found(after, "matched") == [("PAY-1", 2, refund)]
    assert after["summary"]["discrepancies"] == 0


def test_the_streamed_json_report_is_byte_for_byte_the_in_memory_one_of_the_http_api(
    seeded: Seeded,
) -> None:
    """The CLI streams the file through a scratch database and writes the JSON as it goes;
    POST /reconciliations parses its body in memory: both give the same text."""
    app = bootstrap(Settings(database_url=seeded.ledger.database_url)).ledger
    try:
        rows = queries.referenced_payouts(Projections(app).store)
    finally:
        app.close()
    in_memory = reconcile(
        parse_settlements(SETTLEMENTS), [LedgerPayout.from_row(row) for row in rows], Period()
    )

    outcome = seeded.ledger.run("reconcile", "--settlements", str(seeded.settlements), "--json")

    assert outcome.code == 0, outcome.describe()
    assert outcome.stdout == json.dumps(in_memory, indent=2, ensure_ascii=False) + "\n"
