"""The header rules of every input file, and records that come out one at a time."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest

from ledger.domain.errors import InvalidInput
from ledger.input_files.csv_rows import BadRecord, Columns, Record, csv_records

COLUMNS = Columns(required=("order_id", "total"), optional=("address",))


def records(text: str, columns: Columns = COLUMNS) -> list[Record | BadRecord]:
    return list(csv_records(io.StringIO(text, newline=""), columns, "order file"))


def test_required_columns_in_any_order_and_case_and_extra_columns_are_ignored() -> None:
    found = records(" Total ,fee,ORDER_ID\r\n12.50,0.30,O-1\r\n")

    assert found == [Record(2, {"order_id": "O-1", "total": "12.50"})]


def test_an_optional_column_is_read_when_the_header_names_it() -> None:
    found = records('order_id,Address,total\nO-1," 1 Main St ",3\n')

    assert found == [Record(2, {"order_id": "O-1", "total": "3", "address": "1 Main St"})]


def test_blank_lines_before_the_header_and_between_rows_are_skipped_but_counted() -> None:
    found = records('\n\r\norder_id,total\n\n"O-1\nsecond line",1\n\nO-2,2\n')

    assert found == [
        Record(5, {"order_id": "O-1\nsecond line", "total": "1"}),
        Record(8, {"order_id": "O-2", "total": "2"}),
    ]


def test_broken_quoting_and_a_wrong_width_are_bad_records_and_the_rest_still_counts() -> None:
    found = records('order_id,total\n"O-1"x,1\nO-2\nO-3,3,extra\nO-4,4\n"O-5,5\nO-6,6\n')

    assert found == [
        BadRecord(2, "not valid CSV: ',' expected after '\"'"),
        BadRecord(3, "has 1 field(s); the header has 2"),
        BadRecord(4, "has 3 field(s); the header has 2"),
        Record(5, {"order_id": "O-4", "total": "4"}),
        BadRecord(6, "not valid CSV: unexpected end of data"),
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the order file is empty: it needs a header line and rows"),
        ("\n\n", "the order file is empty"),
        (
            "order_id,amount\nO-1,1\n",
            "the order file's header lacks total: the first line must "
            "name the columns order_id, total",
        ),  # fmt: skip
        ("O-1,12.00\n", "the order file's header lacks order_id, total"),
        ("order_id,total,Total\n", "the order file's header repeats total"),
        ("order_id,total,address,ADDRESS\n", "the order file's header repeats address"),
        ('"order_id"x,total\n', "the order file's header (line 1) is not CSV"),
    ],
)
def test_a_header_without_the_required_columns_refuses_the_whole_file(
    text: str, message: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        records(text)

    assert message in refused.value.message
    assert "\n" not in refused.value.message


def test_records_come_out_before_the_input_is_read_to_its_end() -> None:
    read: list[int] = []

    def lines() -> Iterator[str]:
        yield "order_id,total\n"
        for n in range(1_000_000):
            read.append(n)
            yield f"O-{n},{n}\n"

    stream = csv_records(lines(), COLUMNS, "order file")
    first, second = next(stream), next(stream)

    assert (first, second) == (
        Record(2, {"order_id": "O-0", "total": "0"}),
        Record(3, {"order_id": "O-1", "total": "1"}),
    )
    assert len(read) <= 3  # the reader holds no more than the row it is on
