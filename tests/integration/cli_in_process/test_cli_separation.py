"""Separation of duties and the reserved actor through the `ledger` CLI (in-process)."""

from __future__ import annotations

from cli_support import one_error_line, seed_pending_refund, stored_event_count

from ..in_process import Ledger

USAGE, REFUSED = 2, 1


def test_requester_cannot_verify_their_own_return_and_nothing_is_stored(ledger: Ledger) -> None:
    refund = ledger.request(reason="damaged", amount="120.00", actor="agent:bob")
    assert refund["status"] == "requested"
    before = ledger.history(refund["id"])

    outcome = ledger.run("verify", refund["id"], "--actor", "verifier:bob", "--condition", "ok")

    assert outcome.code == REFUSED, outcome.describe()
    one_error_line(
        outcome.stderr,
        "verifier:bob requested this refund (as agent:bob); somebody else must verify it "
        "(rule separation.requester_verifies)",
    )
    assert ledger.history(refund["id"]) == before
    verified = ledger.ok("verify", refund["id"], "--actor", "verifier:vic", "--condition", "ok")
    assert verified["status"] == "pending_approval"


def test_no_token_is_issued_for_the_ledgers_own_actor(on_sqlite: Ledger) -> None:
    outcome = on_sqlite.run("tokens", "issue", "--actor", "system:policy")

    assert outcome.code == USAGE, outcome.describe()
    one_error_line(outcome.stderr, "invalid actor 'system:policy': it is the ledger's own actor")
    assert outcome.stdout == ""
    assert on_sqlite.ok("tokens", "list") == []


def test_no_command_accepts_the_ledgers_own_actor(ledger: Ledger) -> None:
    refund_id = seed_pending_refund(ledger.database_url)
    before = stored_event_count(ledger.database_url)

    for args in (
        ("approve", refund_id, "--actor", "system:policy"),
        ("reject", refund_id, "--actor", "System:Policy", "--reason", "policy says no"),
        ("note", refund_id, "--actor", "system:policy", "--text", "automatic"),
    ):
        outcome = ledger.run(*args)
        assert outcome.code == USAGE, outcome.describe()
        one_error_line(outcome.stderr, "it is the ledger's own actor")

    assert stored_event_count(ledger.database_url) == before
    assert ledger.show(refund_id)["status"] == "pending_approval"


def test_audit_search_still_finds_what_the_policy_did(on_sqlite: Ledger) -> None:
    refund = on_sqlite.request()  # 30.00: verified and approved by the policy itself

    found = on_sqlite.ok("audit", "search", "--actor", "system:policy")

    assert [(e["refund_id"], e["type"]) for e in found] == [
        (refund["id"], "Verified"),
        (refund["id"], "Approved"),
    ]
