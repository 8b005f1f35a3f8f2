"""Settlement files: CSV rows parsed into typed rows; bad rows reported with their line numbers."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from ledger.domain.errors import InvalidInput
from ledger.reconcile.settlements import (
    Malformed,
    SettlementRow,
    parse_settlements,
    read_settlements,
)

HEADER = "reference,amount,currency,status,settled_at\n"
GOOD = "R-1,30.00,EUR,settled,2026-11-01T10:00:00Z\n"


def test_rows_are_typed_with_columns_in_any_order_and_extra_columns_ignored() -> None:
    parsed = parse_settlements(
        "\ufeffStatus, Settled_At ,fee,AMOUNT,Currency,Reference\r\n"
        'SETTLED,2026-11-01T10:00:00+01:00,0.30,12.5,eur,"PAY,1"\r\n'
        "failed,,0,1500,JPY,PAY-2\r\n"
    )

    assert parsed.malformed == ()
    assert parsed.rows == (
        SettlementRow(
            2, "PAY,1", Decimal("12.50"), "EUR", "settled", datetime(2026, 11, 1, 9, tzinfo=UTC)
        ),
        SettlementRow(3, "PAY-2", Decimal("1500"), "JPY", "failed", None),
    )


def test_line_numbers_count_blank_lines_and_quoted_line_breaks() -> None:
    parsed = parse_settlements(
        "\n"
        + HEADER.replace("\n", ",memo\n")
        + 'R-1,1.00,EUR,settled,2026-11-01,"first\nsecond line"\n\n'
        + "R-2,x,EUR,settled,2026-11-01,\n"
    )

    assert [(row.line, row.reference) for row in parsed.rows] == [(3, "R-1")]
    assert parsed.malformed == (
        Malformed(6, "invalid amount 'x': it is not a decimal number", "R-2"),
    )


def test_a_reference_is_one_line_without_control_characters() -> None:
    parsed = parse_settlements(
        HEADER + '"R-1\nR-2",1.00,EUR,settled,2026-11-01\nR-\x1b[2J3,1.00,EUR,settled,2026-11-01\n'
    )

    assert parsed.rows == ()
    assert [(bad.line, bad.reason) for bad in parsed.malformed] == [
        (2, "the reference contains a control character (U+000A) at position 4"),
        (4, "the reference contains a control character (U+001B) at position 3"),
    ]


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        ("R-2,30.00,EUR,settled", "has 4 field(s); the header has 5"),
        ("R-2,30.00,EUR,settled,2026-11-01,extra", "has 6 field(s); the header has 5"),
        (" ,30.00,EUR,settled,2026-11-01", "the reference must not be empty"),
        ("R-2,NaN,EUR,settled,2026-11-01", "invalid amount 'NaN': it is not a finite number"),
        (
            "R-2,-5.00,EUR,settled,2026-11-01",
            "invalid amount '-5.00': it must be greater than zero",
        ),
        ("R-2,0,EUR,settled,2026-11-01", "invalid amount '0': it must be greater than zero"),
        ("R-2,1.005,EUR,settled,2026-11-01", "invalid amount '1.005': EUR has 2 decimal places"),
        ("R-2,10.5,JPY,settled,2026-11-01", "invalid amount '10.5': JPY has 0 decimal places"),
        ('R-2,"1,000.00",EUR,settled,2026-11-01', "invalid amount '1,000.00'"),
        ("R-1,30.00,EUR,settled,2026-11-01", "duplicate reference (first on line 2)"),
        ("R-2,30.00,XYZ,settled,2026-11-01", "unknown currency 'XYZ'"),
        ("R-2,30.00,EUR,pending,2026-11-01", "unknown status 'pending': use settled or failed"),
        ("R-2,30.00,EUR,settled,yesterday", "invalid settled_at 'yesterday'"),
        ("R-2,30.00,EUR,settled,", "invalid settled_at ''"),
        ("R-2,30.00,EUR,failed,2026-13-01", "invalid settled_at '2026-13-01'"),
        ('R-2,"30.00"x,EUR,settled,2026-11-01', "not valid CSV: ',' expected after '\"'"),
    ],
)
def test_a_malformed_row_is_reported_with_its_line_and_the_rest_still_counts(
    row: str, reason: str
) -> None:
    parsed = parse_settlements(HEADER + GOOD + row + "\n" + "R-3,5.00,EUR,failed,\n")

    assert [row.line for row in parsed.rows] == [2, 4]
    assert len(parsed.malformed) == 1
    bad = parsed.malformed[0]
    assert bad.line == 3
    assert reason in bad.reason


def test_every_problem_of_a_row_is_named() -> None:
    parsed = parse_settlements(HEADER + "R-1,abc,EUR,unknown,never\n")

    assert parsed.rows == ()
    (bad,) = parsed.malformed
    assert bad.reference == "R-1"
    assert bad.reason.split("; ") == [
        "invalid amount 'abc': it is not a decimal number",
        "unknown status 'unknown': use settled or failed",
        "invalid settled_at 'never': use ISO 8601, e.g. 2026-11-01T09:30:00Z",
    ]


def test_an_unterminated_quote_is_reported_at_the_line_it_starts() -> None:
    parsed = parse_settlements(HEADER + GOOD + '"R-2,30.00,EUR,settled,2026-11-01\nR-3,1,EUR\n')

    assert [row.line for row in parsed.rows] == [2]
    assert parsed.malformed == (Malformed(3, "not valid CSV: unexpected end of data"),)


def test_a_header_without_rows_is_an_empty_file_of_settlements() -> None:
    parsed = parse_settlements(HEADER)

    assert (parsed.rows, parsed.malformed) == ((), ())


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the settlement file is empty"),
        ("\n\r\n\n", "the settlement file is empty"),
        (GOOD, "header lacks reference, amount, currency, status, settled_at"),
        ("reference,amount,status,settled_at\n" + GOOD, "header lacks currency"),
        ("reference,amount,currency,status,settled_at,Amount\n", "header repeats amount"),
        ('"reference"x,amount\n', "header (line 1) is not CSV"),
    ],
)
def test_a_file_without_a_usable_header_is_refused(text: str, message: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_settlements(text)

    assert message in refused.value.message


def test_a_file_on_disk_with_a_byte_order_mark_is_read(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_bytes(b"\xef\xbb\xbf" + (HEADER + GOOD).encode())

    assert [row.reference for row in read_settlements(path).rows] == ["R-1"]


def test_a_file_that_cannot_be_read_is_one_clear_error(tmp_path: Path) -> None:
    latin = tmp_path / "latin.csv"
    latin.write_bytes((HEADER + "R-\xe9,1.00,EUR,settled,2026-11-01\n").encode("latin-1"))
    for path, says in (
        (tmp_path / "missing.csv", "No such file or directory"),
        (tmp_path, "Is a directory"),
        (latin, "is not UTF-8 (byte 47)"),
    ):
        with pytest.raises(InvalidInput) as refused:
            read_settlements(path)
        assert says in refused.value.message
        assert "\n" not in refused.value.message
