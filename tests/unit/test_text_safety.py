"""Control and bidi characters: refused by the text inputs, escaped by every output."""

from __future__ import annotations

import json
from collections.abc import Callable

import click
import pytest

from cli.errors import run_guarded
from cli.render import Table, cell
from ledger.app import inputs
from ledger.domain.errors import InvalidInput, LedgerError
from ledger.text import json_escaped, visible

C0_BUT_LAYOUT = [chr(c) for c in range(0x20) if chr(c) not in "\n\t"]
C1 = [chr(c) for c in range(0x80, 0xA0)]
BIDI = [chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))]
UNSAFE_IN_TEXT = [*C0_BUT_LAYOUT, "\x7f", *C1, *BIDI]
#: Printable neighbours of the refused ranges, and ordinary non-ASCII text.
SAFE = [" ", "~", "\xa0", "é", "\u202f", "\u2070", "\U0001f600"]


def hex_name(char: str) -> str:
    return f"U+{ord(char):04X}"


@pytest.mark.parametrize("char", UNSAFE_IN_TEXT, ids=hex_name)
def test_free_text_refuses_every_control_and_bidi_character_naming_it(char: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        inputs.text(f"abcd{char}ef", "--note")

    assert refused.value.message == (
        f"--note contains a control character ({hex_name(char)}) at position 5"
    )


@pytest.mark.parametrize("char", UNSAFE_IN_TEXT + ["\n", "\t"], ids=hex_name)
def test_a_single_line_field_refuses_newline_and_tab_as_well(char: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        inputs.single_line(f"{char}PSP-1", "--reference")

    assert refused.value.message == (
        f"--reference contains a control character ({hex_name(char)}) at position 1"
    )


def test_free_text_keeps_newlines_and_tabs() -> None:
    assert inputs.text("first line\n\tsecond line", "note") == "first line\n\tsecond line"


@pytest.mark.parametrize("char", SAFE, ids=hex_name)
def test_printable_text_next_to_the_refused_ranges_is_accepted(char: str) -> None:
    assert inputs.text(f"a{char}b", "note") == f"a{char}b"
    assert inputs.single_line(f"a{char}b", "reference") == f"a{char}b"


def test_a_control_character_that_strip_would_drop_is_refused_not_dropped() -> None:
    for char in ("\x1c", "\x85"):  # str.strip() takes both for whitespace
        with pytest.raises(InvalidInput, match="position 1"):
            inputs.text(f"{char}note", "note")
        with pytest.raises(InvalidInput, match="position 5"):
            inputs.optional_text(f"note{char}", "note")


def test_the_optional_variants_pass_none_through() -> None:
    assert inputs.optional_text(None, "note") is None
    assert inputs.optional_single_line(None, "reference") is None
    assert inputs.optional_single_line(" PSP-1 ", "reference") == "PSP-1"


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("\x1b[2J", "\\x1b[2J"),
        ("\x00", "\\x00"),
        ("\x07", "\\x07"),
        ("\x7f", "\\x7f"),
        ("\x9b31m", "\\x9b31m"),
        ("\x85", "\\x85"),
        ("abc\u202efdp.exe", "abc\\u202efdp.exe"),
        ("\u2066x\u2069", "\\u2066x\\u2069"),
        ("one\ntwo\r\n\tthree", "one\\ntwo\\r\\n\\tthree"),
        ("plain é \u00a0 text [red]", "plain é \u00a0 text [red]"),
    ],
)
def test_visible_shows_controls_as_escapes(raw: str, shown: str) -> None:
    assert visible(raw) == shown
    assert cell(raw) == shown


@pytest.mark.parametrize("char", [*UNSAFE_IN_TEXT, "\n", "\t"], ids=hex_name)
def test_visible_leaves_no_unsafe_character_of_any_class(char: str) -> None:
    shown = visible(f"a{char}b")

    assert shown.isascii() and shown.isprintable()
    assert shown.startswith("a\\") and shown.endswith("b")


@pytest.mark.parametrize("char", UNSAFE_IN_TEXT, ids=hex_name)
def test_json_output_is_ascii_safe_for_every_class_and_parses_to_the_same_text(
    char: str,
) -> None:
    data = {f"key{char}": [f"note {char} é"]}

    document = json_escaped(json.dumps(data, ensure_ascii=False))

    assert char not in document
    assert "é" in document  # other non-ASCII text stays readable
    assert json.loads(document) == data


def test_a_table_shows_stored_controls_escaped_in_cells_and_title() -> None:
    table = Table(title="notes \x1b[31m")
    table.add_column("text")
    table.add_row("evil \x9b2J \u202eexe.pdf")

    assert table.title == "notes \\x1b[31m"
    assert list(table.columns[0].cells) == ["evil \\x9b2J \\u202eexe.pdf"]


def raising(error: Exception) -> Callable[[], object]:
    def command() -> object:
        raise error

    return command


@pytest.mark.parametrize(
    "error",
    [
        LedgerError("refund O-\x1b[2J1 is \u202eexe.pdf \x9b31m"),
        click.ClickException("cannot write O-\x1b[2J1 is \u202eexe.pdf \x9b31m"),
        RuntimeError("O-\x1b[2J1 is \u202eexe.pdf \x9b31m"),
    ],
    ids=["ledger-error", "click-exception", "unexpected"],
)
def test_the_error_line_shows_control_characters_as_escapes(
    error: Exception, capsys: pytest.CaptureFixture[str]
) -> None:
    run_guarded(raising(error))

    line = capsys.readouterr().err
    assert line.startswith("error: ") and line.count("\n") == 1
    assert "O-\\x1b[2J1 is \\u202eexe.pdf \\x9b31m" in line
    assert not any(char in line for char in ("\x1b", "\u202e", "\x9b"))
