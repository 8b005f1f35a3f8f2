"""Rows of the benchmark table: a figure, its baseline from the same run, the ratio, a target."""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path


@dataclass(frozen=True)
class Target:
    """`figure >= value` (at_least) or `figure <= value`; `on_ratio` checks the ratio instead."""

    value: float
    at_least: bool = True
    on_ratio: bool = False

    def met(self, row: Row) -> bool | None:
        measured = row.ratio if self.on_ratio else row.figure
        if measured is None:
            return None
        return measured >= self.value if self.at_least else measured <= self.value

    def __str__(self) -> str:
        sign = ">=" if self.at_least else "<="
        return f"{'ratio ' if self.on_ratio else ''}{sign} {_number(self.value)}"


@dataclass(frozen=True)
class Row:
    """One measured figure. Higher-is-better figures (rates) have ratio figure / baseline;
    latencies and sizes (`lower_is_better`) have baseline / figure, so 1.0 means "as fast as
    the raw path" either way and smaller means slower."""

    id: str  # "W1", "S1", ...
    what: str
    figure: float
    unit: str
    baseline: float | None = None
    baseline_what: str = ""
    targets: tuple[Target, ...] = ()
    lower_is_better: bool = False
    note: str = ""

    @property
    def ratio(self) -> float | None:
        if self.baseline is None or not self.figure or not self.baseline:
            return None
        return self.baseline / self.figure if self.lower_is_better else self.figure / self.baseline

    @property
    def met(self) -> bool | None:
        """All targets met (None: the row has none)."""
        verdicts = [target.met(self) for target in self.targets]
        return None if not verdicts else all(v is True for v in verdicts)


def render(rows: list[Row]) -> str:
    header = ("row", "what", "figure", "baseline", "ratio", "target", "met")
    lines = [
        (
            row.id,
            row.what,
            f"{_number(row.figure)} {row.unit}",
            "-" if row.baseline is None else f"{_number(row.baseline)} ({row.baseline_what})",
            "-" if row.ratio is None else f"{row.ratio:.2f}",
            ", ".join(str(t) for t in row.targets) or "-",
            {True: "yes", False: "NO", None: "-"}[row.met],
        )
        for row in rows
    ]
    widths = [max(len(cells[i]) for cells in [header, *lines]) for i in range(len(header))]
    out = [_line(header, widths), _line(tuple("-" * w for w in widths), widths)]
    out += [_line(cells, widths) for cells in lines]
    out += [f"  {row.id}: {row.note}" for row in rows if row.note]
    return "\n".join(out)


def write_json(rows: list[Row], path: Path, meta: dict[str, object]) -> None:
    data = [{**asdict(row), "ratio": row.ratio, "met": row.met} for row in rows]
    path.write_text(json.dumps({"meta": meta, "rows": data}, indent=2, default=str) + "\n")


def _line(cells: tuple[str, ...], widths: list[int]) -> str:
    return "  ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True)).rstrip()


def _number(value: float) -> str:
    if math.isnan(value):
        return "n/a"
    if abs(value) >= 100 or value == int(value):
        return f"{value:,.0f}"
    return f"{value:.2f}"
