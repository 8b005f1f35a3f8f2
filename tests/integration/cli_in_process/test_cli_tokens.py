"""`ledger tokens issue|list|revoke` through the CLI (in-process).

The round trip runs on both back ends; the refused inputs run on SQLite only (they are
refused before the store is opened, or by the same statement on either back end).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from cli_support import one_error_line, parse_time

from ..in_process import Ledger

USAGE, REFUSED = 2, 1


def test_issue_list_revoke_round_trip(ledger: Ledger) -> None:
    issued = ledger.ok("tokens", "issue", "--actor", "manager:bob", "--expires-in", "30")

    assert set(issued) == {"id", "token", "actor", "created_at", "expires_at"}
    assert issued["token"].startswith(f"rlk_{issued['id']}_")
    assert issued["actor"] == "manager:bob"
    created, expires = parse_time(issued["created_at"]), parse_time(issued["expires_at"])
    assert expires - created == timedelta(days=30)

    listed = ledger.run("tokens", "list")
    assert listed.code == 0, listed.describe()
    assert issued["id"] in listed.stdout and "active" in listed.stdout
    assert issued["token"] not in listed.stdout
    [row] = ledger.ok("tokens", "list")
    assert row["status"] == "active" and row["revoked_at"] is None
    assert issued["token"] not in str(row)

    revoked = ledger.ok("tokens", "revoke", issued["id"])
    assert revoked["status"] == "revoked" and revoked["revoked_at"] is not None

    [row] = ledger.ok("tokens", "list")
    assert row["status"] == "revoked"
    assert row["revoked_at"] == revoked["revoked_at"]


def test_issue_prints_the_token_alone_and_a_warning_on_stderr(on_sqlite: Ledger) -> None:
    outcome = on_sqlite.run("tokens", "issue", "--actor", "Manager:Bob")

    assert outcome.code == 0, outcome.describe()
    token = outcome.stdout.strip()
    assert outcome.stdout == f"{token}\n" and token.startswith("rlk_")
    token_id = token.split("_")[1]
    assert outcome.stderr.startswith(f"issued token {token_id} for manager:bob, expires ")
    assert outcome.stderr.endswith("Z; store it now: it is not shown again\n")
    assert token not in outcome.stderr
    [row] = on_sqlite.ok("tokens", "list")
    created, expires = parse_time(row["created_at"]), parse_time(row["expires_at"])
    assert expires - created == timedelta(days=90)


def test_a_bad_actor_is_refused_and_nothing_is_stored(on_sqlite: Ledger) -> None:
    outcome = on_sqlite.run("tokens", "issue", "--actor", "boss:bob")

    assert outcome.code == USAGE, outcome.describe()
    assert outcome.stdout == ""
    one_error_line(outcome.stderr, "invalid actor 'boss:bob'")
    assert on_sqlite.ok("tokens", "list") == []


@pytest.mark.parametrize("days", ["0", "4000", "x"])
def test_a_bad_expiry_is_refused_and_nothing_is_stored(on_sqlite: Ledger, days: str) -> None:
    outcome = on_sqlite.run("tokens", "issue", "--actor", "manager:bob", "--expires-in", days)

    assert outcome.code == USAGE, outcome.describe()
    one_error_line(outcome.stderr, "--expires-in")
    assert on_sqlite.ok("tokens", "list") == []


def test_revoking_an_unknown_token_exits_1(on_sqlite: Ledger) -> None:
    outcome = on_sqlite.run("tokens", "revoke", "0123456789abcdef")

    assert outcome.code == REFUSED, outcome.describe()
    one_error_line(outcome.stderr, "token 0123456789abcdef not found")


def test_revoking_a_malformed_id_exits_2(on_sqlite: Ledger) -> None:
    outcome = on_sqlite.run("tokens", "revoke", "not-a-token-id")

    assert outcome.code == USAGE, outcome.describe()
    one_error_line(outcome.stderr, "invalid token id 'not-a-token-id'")
