"""Commands of the published contract: the JSON Schemas of the events sent downstream."""

from __future__ import annotations

from pathlib import Path

import click

from cli import files, render
from cli.options import json_option
from ledger.domain.errors import InvalidInput
from ledger.kafka.schemas import generate


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
@files.force_option("schema files of the same name in DIR")
@json_option
def export(out: Path, force: bool, as_json: bool) -> None:
    """Write the schema of every published event's CloudEvents body to DIR, one file per type
    and version (e.g. refunds.Requested.v2.json). Files of the same name are replaced only with
    --force; without it, none is written (exit 1)."""
    written = _write(out, generate(), force)
    if as_json:
        render.emit_json([str(path) for path in written])
    else:
        click.echo(f"wrote {len(written)} schemas to {out}")


def _write(directory: Path, schemas: dict[str, str], force: bool) -> list[Path]:
    """Every schema or none: all targets are checked before the first is written."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise InvalidInput(f"cannot create {directory}: {error.strerror or error}") from None
    paths = {directory / name: content for name, content in schemas.items()}
    for path in paths:
        files.check_target(path, force)
    for path, content in paths.items():
        with files.writing(path, force, private=False) as file:
            file.write(content.encode("utf-8"))
    return list(paths)
