"""CSV records under the header rules every input file of the ledger follows.

The first non-blank line is the header. It names the required columns in any order and any
case (surrounding spaces ignored); optional columns may be named too; other columns are
ignored; a required column missing, or a known column named twice, refuses the file as a
whole (InvalidInput). Blank lines are skipped. Each record then comes out on its own, as a
`Record` (the known columns' values, stripped) or a `BadRecord` (broken quoting, a wrong
number of fields), with the line it starts on, counted in the file: blank lines and quoted
line breaks included.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from ledger.domain.errors import InvalidInput


@dataclass(frozen=True)
class Columns:
    """The columns a file must name, and those it may name."""

    required: tuple[str, ...]
    optional: tuple[str, ...] = ()


@dataclass(frozen=True)
class Record:
    """A well-formed CSV record: every required column, and each optional one the header names."""

    line: int
    fields: dict[str, str]


@dataclass(frozen=True)
class BadRecord:
    """A record that is not CSV, or has another number of fields than the header."""

    line: int
    reason: str


def csv_records(lines: Iterable[str], columns: Columns, what: str) -> Iterator[Record | BadRecord]:
    """The records of `lines` (each with its line break), checked against `columns`.

    `what` names the file in the refusals: "the {what} is empty", "the {what}'s header ...".
    The header is checked when the first record is asked for.
    """
    records = _records(lines)
    header = next((found for found in records if found[1] != []), None)
    if header is None:
        raise InvalidInput(f"the {what} is empty: it needs a header line and rows")
    line, names = header
    if isinstance(names, str):
        raise InvalidInput(f"the {what}'s header (line {line}) is not CSV")
    where = _columns(names, columns, what)
    for line, record in records:
        if record == []:
            continue  # a blank line
        if isinstance(record, str):
            yield BadRecord(line, f"not valid CSV: {record}")
        elif len(record) != len(names):
            yield BadRecord(line, f"has {len(record)} field(s); the header has {len(names)}")
        else:
            yield Record(line, {column: record[index].strip() for column, index in where})


def _records(lines: Iterable[str]) -> Iterator[tuple[int, list[str] | str]]:
    """(first line, fields) of each CSV record, or (first line, error) for a broken one."""
    reader = csv.reader(lines, strict=True)
    start = 1
    while True:
        try:
            record: list[str] | str = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            record = str(error)
        yield start, record
        start = reader.line_num + 1


def _columns(header: list[str], columns: Columns, what: str) -> list[tuple[str, int]]:
    """(column, index in a record) of every known column the header names."""
    names = [name.strip().lower() for name in header]
    missing = [column for column in columns.required if column not in names]
    if missing:
        raise InvalidInput(
            f"the {what}'s header lacks {', '.join(missing)}: the first line must name the "
            f"columns {', '.join(columns.required)}"
        )
    known = (*columns.required, *columns.optional)
    repeated = sorted({name for name in names if name in known and names.count(name) > 1})
    if repeated:
        raise InvalidInput(f"the {what}'s header repeats {', '.join(repeated)}")
    return [(column, names.index(column)) for column in known if column in names]
