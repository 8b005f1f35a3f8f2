"""`--idempotency-key` on every command of the CLI, in-process (issue 13), order capture included:
run twice, the second run prints the first result, says so on stderr, and stores nothing."""

from __future__ import annotations

from datetime import UTC, datetime

from cli_support import stored_event_count

from ..in_process import Ledger

TODAY = datetime.now(UTC).date().isoformat()


def twice(ledger: Ledger, *args: str) -> dict[str, object]:
    """Run a keyed command, then again: the same JSON, a note on stderr, nothing stored."""
    first = ledger.run(*args, "--json")
    assert first.code == 0, first.describe()
    assert first.stderr == "", first.describe()
    stored = stored_event_count(ledger.database_url)

    again = ledger.run(*args, "--json")

    assert again.code == 0, again.describe()
    assert again.json() == first.json(), args
    assert "used before; this is the first result" in again.stderr
    assert stored_event_count(ledger.database_url) == stored, args
    found: dict[str, object] = first.json()
    return found


def test_every_refund_command_run_twice_with_its_key_runs_once(ledger: Ledger) -> None:
    refund = twice(
        ledger, "request", "--order=O-1", "--customer=C-1", "--amount=80.00", "--currency=EUR",
        "--order-total=500.00", "--reason=damaged", f"--purchased-on={TODAY}",
        "--actor=agent:ann", "--idempotency-key=k-request",
    )  # fmt: skip
    rid = str(refund["id"])
    steps = [
        ("verify", rid, "--actor=verifier:vic", "--condition=as new"),
        ("approve", rid, "--actor=manager:bob"),
        ("note", rid, "--actor=manager:bob", "--text=called the customer"),
        ("payout", "start", rid, "--actor=finance:fay"),
        ("payout", "settle", rid, "--actor=finance:fay", "--reference=PSP-1"),
        ("dispute", "open", rid, "--actor=agent:ann", "--reason=paid twice?"),
        ("dispute", "resolve", rid, "--actor=disputes:dora", "--outcome=upheld",
         "--rationale=paid once"),
    ]  # fmt: skip
    for number, step in enumerate(steps):
        twice(ledger, *step, f"--idempotency-key=k-{number}")

    types = [event["type"] for event in ledger.history(rid)]
    for once in ("Verified", "NoteAdded", "PayoutStarted", "PayoutSettled", "DisputeOpened"):
        assert types.count(once) == 1, types
    assert types.count("DisputeResolved") == 1, types


def test_a_key_given_again_with_other_content_is_refused_and_stores_nothing(
    ledger: Ledger,
) -> None:
    rid = ledger.request()["id"]
    ledger.ok("note", rid, "--actor=manager:bob", "--text=called", "--idempotency-key=k-1")
    stored = stored_event_count(ledger.database_url)

    refused = ledger.run(
        "note", rid, "--actor=manager:bob", "--text=emailed", "--idempotency-key=k-1"
    )

    assert refused.code == 1, refused.describe()
    assert "idempotency key 'k-1' was already used for a different request" in refused.stderr
    assert stored_event_count(ledger.database_url) == stored


def test_a_key_that_is_not_an_identifier_is_a_usage_error(ledger: Ledger) -> None:
    rid = ledger.request()["id"]
    stored = stored_event_count(ledger.database_url)

    refused = ledger.run("note", rid, "--actor=manager:bob", "--text=x", "--idempotency-key=a b")

    assert refused.code == 2, refused.describe()
    assert refused.stderr.startswith("error: invalid --idempotency-key"), refused.stderr
    assert stored_event_count(ledger.database_url) == stored


def test_order_capture_run_twice_with_its_key_runs_once_and_other_facts_are_refused(
    ledger: Ledger,
) -> None:
    capture = ("order", "capture", "--order=O-9", "--customer=C-9", "--total=48.00",
               "--currency=EUR", "--actor=agent:ann", "--idempotency-key=k-order")  # fmt: skip
    order = twice(ledger, *capture)
    assert (order["order_id"], order["version"]) == ("O-9", 1)
    stored = stored_event_count(ledger.database_url)

    refused = ledger.run(*capture, "--address=1 Mill Road")

    assert refused.code == 1, refused.describe()
    assert "idempotency key 'k-order' was already used for a different request" in refused.stderr
    assert stored_event_count(ledger.database_url) == stored
    assert ledger.ok("order", "show", "O-9")["address"] is None
