"""`ledger order capture|show|import`: orders' facts from a trusted source."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from cli import render
from cli.commands.reads import reader_option
from cli.context import LedgerContext, pass_ledger
from cli.keys import key_option, keyed, note_replayed
from cli.options import actor_option, json_option
from ledger.app import inputs
from ledger.app.order_import import COLUMNS, Progress, import_orders
from ledger.app.orders import OrderCapture, order_out
from ledger.domain.actor import Actor
from ledger.input_files.csv_rows import BadRecord, Record, csv_records
from ledger.input_files.lines import text_lines
from ledger.input_files.opening import MAX_BYTES


@click.group(short_help="Record and read orders' facts.")
def order() -> None:
    """Orders are facts from a trusted source: the owning customer, the captured total and
    currency, the purchase date and the shipping address. Refunds are checked against them."""


@order.command(name="capture", short_help="Record an order's facts.")
@click.option("--order", "order_id", required=True, help="The order's id.")
@click.option("--customer", "customer_id", required=True, help="The customer who owns it.")
@click.option("--total", required=True, help="The captured total, e.g. 59.90.")
@click.option("--currency", required=True, help="ISO 4217 currency code, e.g. EUR.")
@actor_option
@click.option("--purchased-on", help="Purchase date, YYYY-MM-DD.")
@click.option("--address", help="Shipping address.")
@key_option
@json_option
@pass_ledger
def capture(
    ledger: LedgerContext,
    order_id: str,
    customer_id: str,
    total: str,
    currency: str,
    actor: str,
    purchased_on: str | None,
    address: str | None,
    key: str | None,
    as_json: bool,
) -> None:
    """Record an order as captured by a trusted source (policy permission `order_capture`).

    The same facts again change nothing; different facts for a known order are refused,
    naming the field. An order first declared in a request becomes captured. With
    --idempotency-key, a retry prints the first result (the order as that capture left it).
    """
    facts = OrderCapture.parse(order_id, customer_id, total, currency, purchased_on, address)
    who, keyed_by = Actor.acting(actor), keyed(key)
    found, changed = ledger.app.capture_order(who, facts, keyed_by)
    note_replayed(keyed_by)
    if not as_json:
        click.echo(f"order {found.order_id} {'recorded' if changed else 'unchanged'}", err=True)
    show_order(order_out(found), as_json)


@order.command(name="show", short_help="Show one order.")
@click.argument("order_id", metavar="ORDER")
@reader_option
@json_option
@pass_ledger
def show(ledger: LedgerContext, order_id: str, actor: str | None, as_json: bool) -> None:
    """An order's facts, who recorded them and how, what is left to refund, and its refunds."""
    viewer = None if actor is None else Actor.acting(actor)
    found = inputs.identifier(order_id, "order id")
    show_order(ledger.queries.order(viewer, found), as_json)


def show_order(data: dict[str, Any], as_json: bool) -> None:
    if as_json:
        render.emit_json(data)
        return

    def shown(key: str, value: object) -> object:
        return f"{value} {data['currency']}" if key in ("total", "refundable") else value

    render.fields((key, shown(key, value)) for key, value in data.items())


@order.command(name="import", short_help="Record many orders from a CSV file.")
@click.argument("path", metavar="FILE.csv", type=click.Path(path_type=Path))
@actor_option
@click.option(
    "--max-bytes",
    type=click.IntRange(1),
    default=MAX_BYTES,
    show_default=True,
    help="Refuse a file larger than this.",
)
@json_option
@pass_ledger
def import_command(
    ledger: LedgerContext, path: Path, actor: str, max_bytes: int, as_json: bool
) -> None:
    """Record the orders of FILE.csv (header: order_id, customer_id, total, currency, and
    optionally purchased_on, address; any order and case, extra columns ignored).

    All or nothing: a malformed row refuses the file naming every bad line (exit 2), a row
    that contradicts a recorded order or an earlier row refuses it naming the row (exit 1),
    and nothing is stored. Rows already on record change nothing, so a file can be imported
    again. The file is read twice, a row at a time.
    """
    who = Actor.acting(actor)

    def rows() -> Iterator[Record | BadRecord]:
        with text_lines(path, "order file", max_bytes) as lines:
            yield from csv_records(lines, COLUMNS, "order file")

    with _progress() as progress:
        summary = import_orders(ledger.app, who, rows, progress)
    if as_json:
        render.emit_json({"file": str(path), **summary.as_json()})
        return
    click.echo(
        f"imported {path}: {summary.rows} row(s): {summary.new} new, "
        f"{summary.confirmed} confirmed, {summary.unchanged} already on record"
    )


@contextmanager
def _progress() -> Iterator[Progress | None]:
    """A progress bar on a terminal (stderr), nothing otherwise."""
    if not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import Progress as RichProgress

    bar = RichProgress(console=Console(stderr=True), transient=True)
    task = bar.add_task("recording orders", total=None)
    with bar:
        yield lambda done, total: bar.update(task, completed=done, total=total)
