"""Issue 12, part 3, through the CLI (in-process) on both back ends: notes are `internal` or
`customer`, and `show`, `history` and `list` read as an actor with `--actor`."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from cli_support import seed_pending_refund, stored_event_count

from ..in_process import Ledger


@pytest.fixture
def refund(ledger: Ledger) -> str:
    """A refund of customer C-1, requested by agent:ann, waiting for approval."""
    return seed_pending_refund(ledger.database_url)


def test_a_staff_note_is_internal_unless_marked_for_the_customer(
    ledger: Ledger, refund: str
) -> None:
    ledger.ok("note", refund, "--actor", "agent:ann", "--text", "checked the log")
    ledger.ok("note", refund, "--actor", "agent:ann", "--text", "on it", "--visibility", "customer")

    notes = [(e["type"], e["text"], e["visibility"]) for e in ledger.history(refund)[-2:]]
    assert notes == [
        ("NoteAdded", "checked the log", "internal"),
        ("CustomerNoteAdded", "on it", "customer"),
    ]
    seen = ledger.ok("history", refund, "--actor", "customer:c-1")
    assert [(e["type"], e["actor"], e["text"]) for e in seen if "text" in e] == [
        ("CustomerNoteAdded", "agent", "on it")
    ]


def test_a_customers_note_is_marked_for_it_and_answered_in_its_view(
    ledger: Ledger, refund: str
) -> None:
    answer = ledger.ok("note", refund, "--actor", "customer:c-1", "--text", "photos sent")

    assert (answer["flags"], answer["requested_by"]) == ([], "agent")
    assert "tier" not in answer and "last_rule" not in answer
    last = ledger.history(refund)[-1]
    assert (last["type"], last["actor"], last["visibility"]) == (
        "CustomerNoteAdded",
        "customer:c-1",
        "customer",
    )


def test_a_customer_cannot_add_an_internal_note(ledger: Ledger, refund: str) -> None:
    before = stored_event_count(ledger.database_url)

    outcome = ledger.run(
        "note", refund, "--actor", "customer:c-1", "--text", "hi", "--visibility", "internal"
    )

    assert outcome.code == 1, outcome.describe()
    assert outcome.stderr == (
        "error: customer:c-1 may not add an internal note; this needs one of: agent, "
        "verifier, manager, finance, disputes, system\n"
    )
    assert stored_event_count(ledger.database_url) == before


def test_an_unknown_visibility_is_malformed_input(ledger: Ledger, refund: str) -> None:
    before = stored_event_count(ledger.database_url)

    outcome = ledger.run(
        "note", refund, "--actor", "agent:ann", "--text", "hi", "--visibility", "public"
    )

    assert outcome.code == 2, outcome.describe()
    assert "'public' is not one of 'internal', 'customer'" in outcome.stderr
    assert len(outcome.stderr.splitlines()) == 1
    assert stored_event_count(ledger.database_url) == before


def test_reads_as_a_customer_hide_what_staff_read(ledger: Ledger, refund: str) -> None:
    staff = ledger.show(refund)

    shown = ledger.ok("show", refund, "--actor", "customer:c-1")
    listed = ledger.ok("list", "--actor", "customer:c-1")

    assert staff["tier"] == "manager" and staff["requested_by"] == "agent:ann"
    assert (shown["requested_by"], shown["flags"]) == ("agent", [])
    assert "tier" not in shown and "approvals_required" not in shown
    assert listed == [shown]
    assert ledger.ok("show", refund, "--actor", "manager:mia") == staff
    now = datetime.now(UTC).isoformat()
    assert ledger.ok("show", refund, "--as-of", now, "--actor", "customer:c-1") == shown


@pytest.mark.parametrize("command", [("show",), ("show", "--as-of", "2999-01-01"), ("history",)])
def test_reads_as_another_customer_find_no_refund(
    ledger: Ledger, refund: str, command: tuple[str, ...]
) -> None:
    outcome = ledger.run(command[0], refund, *command[1:], "--actor", "customer:c-2")

    assert outcome.code == 1, outcome.describe()
    assert outcome.stderr == f"error: refund {refund} not found\n"
    assert ledger.ok("list", "--actor", "customer:c-2") == []


def test_reading_as_a_malformed_actor_is_refused(ledger: Ledger, refund: str) -> None:
    outcome = ledger.run("show", refund, "--actor", "nobody")

    assert outcome.code == 2, outcome.describe()
    assert outcome.stderr.startswith("error: invalid actor 'nobody'")
