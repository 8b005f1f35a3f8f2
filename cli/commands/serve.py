"""`ledger serve`: the JSON API over HTTP (uvicorn)."""

from __future__ import annotations

import os
import socket
import tempfile
from typing import Any

import click

from cli.context import LedgerContext, pass_ledger
from cli.running import LOG_FORMAT

LEVELS = ("critical", "error", "warning", "info", "debug")


class CannotListen(click.ClickException):
    """The address is taken, unknown or not ours: one line, exit 1."""


def check_address(host: str, port: int) -> None:
    """Fail before the server starts when it could not listen (uvicorn would exit 3, which
    this CLI keeps for audit integrity failures)."""
    try:
        with socket.create_server((host, port)):
            pass
    except OSError as error:
        why = error.strerror or str(error)
        raise CannotListen(f"cannot listen on {host}:{port}: {why}") from None


def log_config(level: str) -> dict[str, Any]:
    """One plain line per record on stderr, in every worker; uvicorn's access log is off, as
    the API logs each request itself (with its request id, actor and time)."""
    handler = {"class": "logging.StreamHandler", "formatter": "plain", "stream": "ext://sys.stderr"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"plain": {"format": LOG_FORMAT}},
        "handlers": {"stderr": handler},
        "loggers": {
            name: {"handlers": ["stderr"], "level": level.upper(), "propagate": False}
            for name in ("uvicorn", "ledger")
        },
    }


def uvicorn_options(host: str, port: int, log_level: str) -> dict[str, Any]:
    """How `ledger serve` runs uvicorn (the benchmark's baseline server runs the same way)."""
    return {
        "host": host,
        "port": port,
        "log_config": log_config(log_level),
        "access_log": False,
        "server_header": False,
    }


@click.command(short_help="Serve the JSON API over HTTP.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port", type=click.IntRange(0, 65535), default=8080, show_default=True, help="TCP port."
)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="Worker processes (each with its own database connections).",
)
@click.option(
    "--log-level",
    type=click.Choice(LEVELS),
    default="info",
    show_default=True,
    help="Log records from this level up (info logs one line per request).",
)
@pass_ledger
def serve(ledger: LedgerContext, host: str, port: int, workers: int, log_level: str) -> None:
    """Serve the API of SPEC 7 on the configured database until stopped (SIGINT or SIGTERM).

    Every request but /healthz, /metrics and the OpenAPI documents (/openapi.json, /docs)
    needs a bearer token from `ledger tokens issue`.
    """
    import uvicorn

    from api.app import create_app

    check_address(host, port)
    app = ledger.app  # opened (and its tables made) before any worker starts: errors come first
    options = uvicorn_options(host, port, log_level)
    try:
        if workers == 1:
            uvicorn.run(create_app(app), **options)
            return
        os.environ["LEDGER_DATABASE_URL"] = ledger.settings.database_url
        with tempfile.TemporaryDirectory(prefix="ledger-metrics-") as samples:
            os.environ["PROMETHEUS_MULTIPROC_DIR"] = samples  # read as the workers import it
            uvicorn.run("api.app:from_environment", factory=True, workers=workers, **options)
    except SystemExit as stopped:  # uvicorn's start-up failures; the reason is logged above
        if stopped.code not in (0, None):
            raise CannotListen("the server could not start (see the log above)") from None
