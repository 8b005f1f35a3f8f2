"""A payment provider's settlement file: CSV rows parsed into typed rows, or reported as malformed.

The file is UTF-8 (a byte-order mark is allowed) with a header line naming the columns
`reference, amount, currency, status, settled_at` in any order, any case; other columns (fees,
batch ids, ...) are ignored (the rules of `ledger.input_files.csv_rows`). A problem with the
file as a whole is one InvalidInput; a problem with one row is a `Malformed` entry with the
row's line number, and the other rows still count. Rows come out one at a time
(`settlement_entries`), so a file of any size is read in constant memory.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Protocol, TypeVar

from ledger.app import inputs
from ledger.domain.errors import InvalidInput
from ledger.domain.money import parse_amount, parse_currency
from ledger.input_files.csv_rows import BadRecord, Columns, csv_records
from ledger.input_files.lines import decoded_lines, text_lines
from ledger.input_files.opening import MAX_BYTES

COLUMNS = ("reference", "amount", "currency", "status", "settled_at")
STATUSES = ("settled", "failed")
WHAT = "settlement file"
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


Entry = SettlementRow | Malformed


@dataclass(frozen=True)
class SettlementFile:
    """A whole settlement file in memory: for a small one (an HTTP body, a test)."""

    rows: tuple[SettlementRow, ...]
    malformed: tuple[Malformed, ...]

    @classmethod
    def of(cls, entries: Iterable[Entry]) -> SettlementFile:
        found = list(entries)
        return cls(
            tuple(e for e in found if isinstance(e, SettlementRow)),
            tuple(e for e in found if isinstance(e, Malformed)),
        )


class FirstLines(Protocol):
    """Where each reference was first seen: in memory for a small file, on disk for a big one."""

    def first_line(self, reference: str, line: int) -> int:
        """The line `reference` was first seen on; `line` (now recorded) when it is new."""
        ...


class FirstLinesInMemory:
    def __init__(self) -> None:
        self._lines: dict[str, int] = {}

    def first_line(self, reference: str, line: int) -> int:
        return self._lines.setdefault(reference, line)


def settlement_entries(lines: Iterable[str], seen: FirstLines) -> Iterator[Entry]:
    """Each row of the file whose `lines` are given (with their line breaks), in file order."""
    for record in csv_records(lines, Columns(COLUMNS), WHAT):
        if isinstance(record, BadRecord):
            yield Malformed(record.line, record.reason)
        else:
            yield _row(record.line, record.fields, seen)


def parse_settlements(text: str) -> SettlementFile:
    """Parse the text of a settlement file (a leading byte-order mark is dropped)."""
    lines = io.StringIO(text.removeprefix("\ufeff"), newline="")
    return SettlementFile.of(settlement_entries(lines, FirstLinesInMemory()))


def parse_settlement_bytes(data: bytes) -> SettlementFile:
    """Parse a small settlement file given as bytes (an HTTP body), as a file on disk is."""
    lines = decoded_lines(io.BytesIO(data), f"the {WHAT}", max_bytes=len(data))
    return SettlementFile.of(settlement_entries(lines, FirstLinesInMemory()))


def read_settlements(path: Path, max_bytes: int = MAX_BYTES) -> SettlementFile:
    """Read and parse a small file whole; `ledger reconcile` streams it instead."""
    with text_lines(path, WHAT, max_bytes) as lines:
        return SettlementFile.of(settlement_entries(lines, FirstLinesInMemory()))


def _row(line: int, field: dict[str, str], seen: FirstLines) -> Entry:
    problems: list[str] = []
    reference = _check(problems, lambda: inputs.single_line(field["reference"], "the reference"))
    if reference is not None:
        first = seen.first_line(reference, line)
        if first != line:
            problems.append(f"duplicate reference (first on line {first})")
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
