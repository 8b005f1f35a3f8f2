"""Commands of the published contract: the JSON Schemas of the events sent downstream."""

from __future__ import annotations

from pathlib import Path

import click

from cli import render
from cli.options import json_option
from ledger.delivery.schemas import export as export_schemas


@click.group(short_help="JSON Schemas of the events published downstream.")
def schemas() -> None:
    """The JSON Schema of every published event type and version, generated from the models."""


@schemas.command(name="export", short_help="Write one JSON Schema file per event type and version.")
@click.option(
    "--out",
    default="schemas",
    show_default=True,
    metavar="DIR",
    type=click.Path(file_okay=False, path_type=Path),
    help="Directory to write the schema files to (created if missing).",
)
@json_option
def export(out: Path, as_json: bool) -> None:
    """Write the schema of every published event's CloudEvents body to DIR, one file per type
    and version (e.g. refunds.Requested.v2.json), replacing files of the same name."""
    written = export_schemas(out)
    if as_json:
        render.emit_json([str(path) for path in written])
    else:
        click.echo(f"wrote {len(written)} schemas to {out}")
