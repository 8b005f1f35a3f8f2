"""Control and bidi characters through the CLI (in-process): refused at the edge (exit 2, nothing
stored), and, when already stored, shown as escapes by the tables and as JSON escapes."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from cli_support import Outcome, request_args, seed_pending_refund, stored_event_count

from ledger.app.commands import RefundRequestIn
from ledger.bootstrap import bootstrap
from ledger.config import Settings
from ledger.domain.actor import Actor

from ..in_process import Ledger

#: What a hostile note carries. NUL cannot travel in argv (the OS ends the string there): the
#: HTTP tests send it.
UNSAFE = {"\u202e": "U+202E", "\x9b": "U+009B", "\x1b": "U+001B", "\r": "U+000D"}
#: Terminal mischief as it might already sit in older rows: a colour, a screen clear, a
#: one-character CSI, a title change and a bidi override.
STORED = "paid \x1b[31mred\x1b[0m \x9b2J \x1b]0;pwned\x07 \u202eexe.pdf"
SHOWN = "paid \\x1b[31mred\\x1b[0m \\x9b2J \\x1b]0;pwned\\x07 \\u202eexe.pdf"
RAW = ("\x1b", "\x9b", "\x07", "\u202e")


def refused(outcome: Outcome, message: str) -> None:
    assert outcome.code == 2, outcome.describe()
    assert outcome.stdout == "", outcome.describe()
    assert outcome.stderr == f"error: {message}\n", outcome.describe()


def test_a_request_whose_note_or_address_holds_a_control_character_exits_2_storing_nothing(
    ledger: Ledger, database_url: str
) -> None:
    for field in ("note", "address"):
        for char, code in UNSAFE.items():
            outcome = ledger.run("request", *request_args(**{field: f"left{char}right"}))

            refused(outcome, f"{field} contains a control character ({code}) at position 5")
    assert stored_event_count(database_url) == 0


def test_commands_on_a_refund_refuse_control_characters_and_leave_its_history_unchanged(
    ledger: Ledger, database_url: str
) -> None:
    refund_id = seed_pending_refund(database_url)
    before = ledger.history(refund_id)
    manager, agent = ("--actor", "manager:mia"), ("--actor", "agent:ann")
    for args, message in (
        (("approve", *manager, "--note", "ok\u202e"), "--note contains"),
        (("reject", *manager, "--reason", "no\x9b"), "--reason contains"),
        (("cancel", *agent, "--reason", "a\rb"), "--reason contains"),
        (("note", *agent, "--text", "\x1b[2J"), "--text contains"),
    ):
        outcome = ledger.run(args[0], refund_id, *args[1:])

        assert outcome.code == 2, outcome.describe()
        assert outcome.stderr.startswith(f"error: {message} a control character (U+"), outcome
        assert outcome.stderr.count("\n") == 1, outcome.describe()
    assert ledger.history(refund_id) == before


def test_a_payout_reference_is_one_line_newline_and_tab_are_refused(ledger: Ledger) -> None:
    refund_id = ledger.request()["id"]  # approved automatically
    finance = ("--actor", "finance:fred")
    ledger.ok("payout", "start", refund_id, *finance)
    before = ledger.history(refund_id)

    settle = ledger.run("payout", "settle", refund_id, *finance, "--reference", "PSP-1\nPSP-2")
    fail = ledger.run(
        "payout", "fail", refund_id, *finance, "--reason", "closed", "--reference", "PSP\t1"
    )

    refused(settle, "--reference contains a control character (U+000A) at position 6")
    refused(fail, "--reference contains a control character (U+0009) at position 4")
    assert ledger.history(refund_id) == before


def test_a_note_keeps_its_newlines_and_tabs_and_the_table_shows_them_escaped(
    ledger: Ledger,
) -> None:
    refund_id = ledger.request()["id"]

    ledger.ok("note", refund_id, "--actor", "agent:ann", "--text", "first line\n\tsecond")

    assert ledger.history(refund_id)[-1]["text"] == "first line\n\tsecond"
    table = ledger.run("history", refund_id)
    assert "text=first line\\n\\tsecond" in table.stdout, table.describe()


@pytest.fixture
def stored_mischief(database_url: str) -> str:
    """A refund whose order id, customer id, request note and a later note hold control and
    bidi characters, stored through the application (below the CLI's input checks), as older
    rows or rows written straight to the database would hold them."""
    form = RefundRequestIn.model_construct(
        order_id="O-\x1b[2J1",
        customer_id="C-\u202e1",
        amount=Decimal("30.00"),
        currency="EUR",
        order_total=Decimal("250.00"),
        reason="billing_error",
        channel="portal",
        method="original_payment",
        purchased_on=None,
        note=STORED,
    )
    app = bootstrap(Settings(database_url=database_url)).ledger
    try:
        refund = app.request(Actor.parse("agent:ann"), form)
        app.add_note(refund.id, Actor.parse("agent:ann"), STORED)
        return str(refund.id)
    finally:
        app.close()


def test_stored_control_characters_are_shown_escaped_in_every_table(
    ledger: Ledger, stored_mischief: str
) -> None:
    history = ledger.run("history", stored_mischief)
    show = ledger.run("show", stored_mischief)
    listing = ledger.run("list")

    for outcome in (history, show, listing):
        assert outcome.code == 0, outcome.describe()
        assert not any(char in outcome.stdout for char in RAW), outcome.describe()
    assert f"note={SHOWN}" in history.stdout and f"text={SHOWN}" in history.stdout
    assert "O-\\x1b[2J1" in show.stdout and "C-\\u202e1" in show.stdout
    assert "O-\\x1b[2J1" in listing.stdout


def test_stored_control_characters_leave_json_as_escapes_that_parse_to_the_stored_text(
    ledger: Ledger, stored_mischief: str
) -> None:
    outcome = ledger.run("history", stored_mischief, "--json")

    assert outcome.code == 0, outcome.describe()
    assert not any(char in outcome.stdout for char in RAW), outcome.describe()
    assert "\\u009b2J" in outcome.stdout and "\\u202eexe.pdf" in outcome.stdout
    assert json.loads(outcome.stdout)[-1]["text"] == STORED
