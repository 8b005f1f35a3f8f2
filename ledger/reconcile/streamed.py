"""Reconcile a settlement file of any size: read once, held on disk, matched row by row.

The file is opened first (what is not a regular file, or is too big, is refused before
anything else), then read whole into the scratch database before the ledger is asked for its
payouts: a file that cannot be read is refused before the ledger's database is opened.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ledger.app.period import Period
from ledger.input_files.lines import text_lines
from ledger.reconcile.matching import LedgerPayout, Matcher
from ledger.reconcile.report import items, sections, tally
from ledger.reconcile.scratch import Scratch, scratch_database
from ledger.reconcile.settlements import WHAT, settlement_entries


@dataclass(frozen=True)
class Report:
    """The summary, in memory; the items, read back one at a time from the scratch database."""

    summary: dict[str, Any]
    scratch: Scratch
    matcher: Matcher

    def sections(self) -> Iterator[tuple[str, Any]]:
        """("summary", summary), then (section, an iterator of its items), in output order."""
        return sections(self.summary, self.scratch, self.matcher)

    def items(self, section: str) -> Iterator[dict[str, Any]]:
        return items(section, self.scratch, self.matcher)


@contextmanager
def reconcile_file(
    path: Path,
    period: Period,
    payouts: Callable[[], Sequence[LedgerPayout]],
    max_bytes: int,
) -> Iterator[Report]:
    """The report of the file at `path` against `payouts()`, valid inside the `with`."""
    with text_lines(path, WHAT, max_bytes) as lines, scratch_database() as scratch:
        scratch.load(settlement_entries(lines, scratch))
        matcher = Matcher(payouts(), period)
        summary = tally(scratch.entries(), matcher, scratch)
        yield Report(summary, scratch, matcher)
