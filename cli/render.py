"""Output: rich tables for people, JSON for machines; stored text never reaches a terminal raw.

Inputs refuse control and bidi characters, but older rows (or rows written straight to the
database) may hold them: every table of the CLI is a `render.Table`, which shows them as
escapes (`\\x1b`, `\\u202e`), and `emit_json` writes them as JSON escapes.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, TypeVar

import click

from ledger.domain.summary import event_summary
from ledger.text import json_escaped, visible

if TYPE_CHECKING:
    from rich.console import Console

    from cli.tables import Table as Table  # re-exported: `render.Table`
    from ledger.app.queries import Viewed

T = TypeVar("T")


def __getattr__(name: str) -> Any:
    """`render.Table`, imported (with rich) only when a command prints a table: the commands
    that print JSON, most runs in scripts, never load rich."""
    if name == "Table":
        from cli.tables import Table

        return Table
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def fresh(viewed: Viewed[T]) -> T:
    """What a read of the views found; when they could not be caught up first (the database
    takes no writes), a one-line note on stderr says how far behind they are."""
    if viewed.note:
        click.echo(f"note: {visible(viewed.note)}", err=True)
    return viewed.found


def cell(value: object) -> str:
    """A value as table text: controls, newlines and bidi characters shown as escapes."""
    return visible(str(value))


def console() -> Console:
    from rich.console import Console

    width = None if sys.stdout.isatty() else int(os.environ.get("COLUMNS", "160"))
    # markup=False: stored text (notes, reasons, references) may hold "[red]" or "[/bold]",
    # which rich would otherwise read as styles, or fail on.
    return Console(width=width, highlight=False, soft_wrap=False, markup=False)


def emit_json(data: Any) -> None:
    """JSON on stdout; C0 controls are escaped by json.dumps, DEL, C1 and bidi here."""
    click.echo(json_escaped(json.dumps(data, indent=2, ensure_ascii=False)))


def fields(pairs: Iterable[tuple[str, object]]) -> None:
    """Key-value pairs as a two-column table: the key in bold with spaces for underscores,
    a list joined by commas, `-` for none (and for an empty list)."""
    from cli.tables import Table

    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_column(style="bold")
    table.add_column()
    for key, value in pairs:
        if isinstance(value, list):
            value = ", ".join(str(item) for item in value) or None
        table.add_row(key.replace("_", " "), "-" if value is None else str(value))
    console().print(table)


#: The keys `refund` shows, in order; a view without one (a customer's) does not show it.
REFUND_FIELDS = (
    "id",
    "status",
    "order_id",
    "customer_id",
    "reason",
    "channel",
    "method",
    "requested_amount",
    "approved_amount",
    "paid_amount",
    "order_total",
    "tier",
    "flags",
    "last_rule",
    "requested_by",
    "version",
    "updated_at",
)


def refund(data: dict[str, Any], as_json: bool) -> None:
    if as_json:
        emit_json(data)
        return

    def shown(key: str) -> object:
        value = data[key]
        if (key.endswith("_amount") or key == "order_total") and value is not None:
            return f"{value} {data['currency']}"
        return value

    fields((key, shown(key)) for key in REFUND_FIELDS if key in data)


def refunds(rows: list[dict[str, Any]], as_json: bool) -> None:
    if as_json:
        emit_json(rows)
        return
    from cli.tables import Table

    table = Table(title=f"{len(rows)} refund(s)")
    for column in ("id", "status", "order", "customer", "reason", "requested", "approved", "paid"):
        table.add_column(column, no_wrap=column == "id")
    for row in rows:
        table.add_row(
            row["id"],
            row["status"],
            row["order_id"],
            row["customer_id"],
            row["reason"],
            _money(row["requested_amount"], row["currency"]),
            _money(row["approved_amount"], row["currency"]),
            _money(row["paid_amount"], row["currency"]),
        )
    console().print(table)


def history(events: list[dict[str, Any]], as_json: bool) -> None:
    if as_json:
        emit_json(events)
        return
    from cli.tables import Table

    table = Table(title="history")
    for column in ("v", "at (UTC)", "event", "actor", "details"):
        table.add_column(column)
    for event in events:
        table.add_row(
            str(event["version"]),
            event["at"][:19].replace("T", " "),
            event["type"],
            event["actor"] or "-",
            event_summary(event),
        )
    console().print(table)


def _money(value: str | None, currency: str) -> str:
    return "-" if value is None else f"{value} {currency}"
