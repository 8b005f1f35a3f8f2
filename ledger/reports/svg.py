"""Small inline SVG charts: horizontal bars, columns and a stacked share bar.

Every chart is one `<svg>` element with a `role="img"` label and a `<title>` on each mark, no
external reference of any kind. Every text passes through `html.escape`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

WIDTH = 560
LABEL_WIDTH = 170
VALUE_ROOM = 110  # room right of the longest bar for its value text
INK, MUTED = "#1f2933", "#5f6b7a"


@dataclass(frozen=True)
class Bar:
    """One mark: its length (any unit), the exact text shown, its colour and what it is."""

    value: float
    text: str
    colour: str
    name: str = ""


def _svg(title: str, height: int, marks: list[str]) -> str:
    return (
        f'<svg viewBox="0 0 {WIDTH} {height}" width="100%" role="img" '
        f'aria-label="{escape(title)}"><title>{escape(title)}</title>{"".join(marks)}</svg>'
    )


def _text(
    x: float, y: float, text: str, anchor: str = "start", size: int = 12, fill: str = INK
) -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" font-size="{size}" '
        f'fill="{fill}">{escape(text)}</text>'
    )


def _rect(x: float, y: float, width: float, height: float, colour: str, tip: str) -> str:
    return (
        f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(width, 0):.1f}" height="{height:.1f}" '
        f'rx="2" fill="{escape(colour)}"><title>{escape(tip)}</title></rect>'
    )


def bars(title: str, groups: Sequence[tuple[str, Sequence[Bar]]]) -> str:
    """Horizontal bars, one group per label (one bar each, or one per series)."""
    top = max((bar.value for _, group in groups for bar in group), default=0) or 1
    room = WIDTH - LABEL_WIDTH - VALUE_ROOM
    marks: list[str] = []
    y = 6.0
    for label, group in groups:
        marks.append(_text(LABEL_WIDTH - 8, y + 14, label, "end"))
        for bar in group:
            length = room * bar.value / top
            tip = f"{label}{' ' + bar.name if bar.name else ''}: {bar.text}"
            marks.append(_rect(LABEL_WIDTH, y + 3, length, 16, bar.colour, tip))
            marks.append(_text(LABEL_WIDTH + length + 6, y + 15, bar.text, size=11))
            y += 20
        y += 8
    return _svg(title, int(y) + 4, marks)


def columns(title: str, counts: Sequence[tuple[str, int]], colour: str) -> str:
    """Vertical columns with the count above and the label below: a histogram of buckets."""
    top = max((count for _, count in counts), default=0) or 1
    slot = (WIDTH - 20) / max(len(counts), 1)
    marks: list[str] = [f'<line x1="10" y1="150" x2="{WIDTH - 10}" y2="150" stroke="#cbd2d9"/>']
    for i, (label, count) in enumerate(counts):
        x, height = 10 + i * slot, 120 * count / top
        marks.append(_rect(x + 8, 150 - height, slot - 16, height, colour, f"{label}: {count}"))
        marks.append(_text(x + slot / 2, 144 - height, str(count), "middle"))
        marks.append(_text(x + slot / 2, 168, label, "middle", 11, MUTED))
    return _svg(title, 178, marks)


def share(title: str, parts: Sequence[tuple[str, int, str]]) -> str:
    """One bar split into parts by their share of the total (label, count, colour)."""
    total = sum(count for _, count, _ in parts) or 1
    marks: list[str] = []
    x = 0.0
    for label, count, colour in parts:
        width = WIDTH * count / total
        tip = f"{label}: {count} ({count / total:.0%})"
        marks.append(_rect(x, 4, width, 36, colour, tip))
        if width > 36:
            marks.append(_text(x + width / 2, 27, f"{count / total:.0%}", "middle", 13, "#fff"))
        x += width
    return _svg(title, 44, marks)
