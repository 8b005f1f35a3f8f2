"""A payment provider's settlement file: CSV rows parsed into typed rows, or reported as malformed.

The file is UTF-8 (a byte-order mark is allowed) with a header line naming the columns
`reference, amount, currency, status, settled_at` in any order, any case; other columns (fees,
batch ids, ...) are ignored. A problem with the file as a whole is one InvalidInput; a problem
with one row is a `Malformed` entry with the row's line number, and the other rows still count.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import TypeVar

from ledger.app import inputs
from ledger.domain.errors import InvalidInput
from ledger.domain.money import parse_amount, parse_currency

COLUMNS = ("reference", "amount", "currency", "status", "settled_at")
STATUSES = ("settled", "failed")
T = TypeVar("T")


@dataclass(frozen=True)
class SettlementRow:
    """One row of the provider's file, every field checked."""

    line: int
    reference: str
    amount: Decimal
    currency: str
    status: str
    settled_at: datetime | None


@dataclass(frozen=True)
class Malformed:
    """A row that cannot be reconciled: where it starts, why, and its reference when it has one."""

    line: int
    reason: str
    reference: str | None = None


@dataclass(frozen=True)
class SettlementFile:
    rows: tuple[SettlementRow, ...]
    malformed: tuple[Malformed, ...]


def read_settlements(path: Path) -> SettlementFile:
    """Read and parse the file at `path`; InvalidInput when it cannot be read as a whole."""
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise InvalidInput(f"cannot read settlement file {str(path)!r}: {error.strerror}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InvalidInput(
            f"settlement file {str(path)!r} is not UTF-8 (byte {error.start + 1})"
        ) from None
    return parse_settlements(text)


def parse_settlements(text: str) -> SettlementFile:
    """Parse the text of a settlement file (a leading byte-order mark is dropped)."""
    records = _records(text.removeprefix("\ufeff"))
    header = next(records, None)
    while header is not None and header[1] == []:
        header = next(records, None)  # blank lines before the header
    if header is None:
        raise InvalidInput("the settlement file is empty: it needs a header line and rows")
    if isinstance(header[1], str):
        raise InvalidInput(f"the settlement file's header (line {header[0]}) is not CSV")
    where = _columns(header[1])
    rows: list[SettlementRow] = []
    malformed: list[Malformed] = []
    first_seen: dict[str, int] = {}
    for line, record in records:
        if record == []:
            continue  # blank line
        if isinstance(record, str):
            malformed.append(Malformed(line, f"not valid CSV: {record}"))
            continue
        parsed = _row(line, record, where, len(header[1]), first_seen)
        if isinstance(parsed, SettlementRow):
            rows.append(parsed)
        else:
            malformed.append(parsed)
    return SettlementFile(tuple(rows), tuple(malformed))


def _records(text: str) -> Iterator[tuple[int, list[str] | str]]:
    """(first line, fields) of each CSV record, or (first line, error) for a broken one."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
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


def _columns(header: list[str]) -> dict[str, int]:
    names = [name.strip().lower() for name in header]
    missing = [column for column in COLUMNS if column not in names]
    if missing:
        raise InvalidInput(
            f"the settlement file's header lacks {', '.join(missing)}: the first line must name "
            f"the columns {', '.join(COLUMNS)}"
        )
    repeated = sorted({name for name in names if name in COLUMNS and names.count(name) > 1})
    if repeated:
        raise InvalidInput(f"the settlement file's header repeats {', '.join(repeated)}")
    return {column: names.index(column) for column in COLUMNS}


def _row(
    line: int, record: list[str], where: dict[str, int], width: int, first_seen: dict[str, int]
) -> SettlementRow | Malformed:
    if len(record) != width:
        return Malformed(line, f"has {len(record)} field(s); the header has {width}")
    field = {column: record[index].strip() for column, index in where.items()}
    problems: list[str] = []
    reference = _check(problems, lambda: inputs.single_line(field["reference"], "the reference"))
    if reference is not None:
        if reference in first_seen:
            problems.append(f"duplicate reference (first on line {first_seen[reference]})")
        else:
            first_seen[reference] = line
    currency = _check(problems, lambda: parse_currency(field["currency"]))
    amount = None
    if currency is not None:
        amount = _check(problems, lambda: parse_amount(field["amount"], currency))
    status = field["status"].lower()
    if status not in STATUSES:
        problems.append(f"unknown status {field['status']!r}: use {' or '.join(STATUSES)}")
    settled_at = None
    if field["settled_at"] or status == "settled":
        settled_at = _check(problems, lambda: inputs.moment(field["settled_at"], "settled_at"))
    if problems or reference is None or currency is None or amount is None:
        return Malformed(line, "; ".join(problems), reference)
    return SettlementRow(line, reference, amount, currency, status, settled_at)


def _check(problems: list[str], parse: Callable[[], T]) -> T | None:
    try:
        return parse()
    except InvalidInput as error:
        problems.append(error.message)
        return None
