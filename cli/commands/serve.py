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
LOG_FORMATS = ("plain", "json")
KEEP_ALIVE = 5  # seconds, uvicorn's default


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


def log_config(level: str, log_format: str = "plain") -> dict[str, Any]:
    """One line per record on stderr, in every worker: plain text, or a JSON object
    (`api.logs.JsonFormatter`). uvicorn's access log is off, as the API logs each request
    itself (with its request id, actor and time, the client's values escaped)."""
    formatters: dict[str, dict[str, Any]] = {
        "plain": {"format": LOG_FORMAT},
        "json": {"()": "api.logs.JsonFormatter"},
    }
    handler = {
        "class": "logging.StreamHandler",
        "formatter": log_format,
        "stream": "ext://sys.stderr",
    }
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {log_format: formatters[log_format]},
        "handlers": {"stderr": handler},
        "loggers": {
            name: {"handlers": ["stderr"], "level": level.upper(), "propagate": False}
            for name in ("uvicorn", "ledger")
        },
    }


def uvicorn_options(
    host: str,
    port: int,
    log_level: str,
    log_format: str = "plain",
    timeout_keep_alive: int = KEEP_ALIVE,
    limit_concurrency: int | None = None,
) -> dict[str, Any]:
    """How `ledger serve` runs uvicorn (the benchmark's baseline server runs the same way)."""
    return {
        "host": host,
        "port": port,
        "log_config": log_config(log_level, log_format),
        "access_log": False,
        "server_header": False,
        "timeout_keep_alive": timeout_keep_alive,
        "limit_concurrency": limit_concurrency,
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
@click.option(
    "--log-format",
    type=click.Choice(LOG_FORMATS),
    default="plain",
    show_default=True,
    help="One plain text line per record, or one JSON object per line.",
)
@click.option(
    "--timeout-keep-alive",
    type=click.IntRange(1, 3600),
    default=KEEP_ALIVE,
    show_default=True,
    metavar="SECONDS",
    help="Close a kept-alive connection after this long without a new request.",
)
@click.option(
    "--limit-concurrency",
    type=click.IntRange(min=2),
    default=None,
    metavar="N",
    help="Per worker, answer 503 to a request that arrives while N connections are open "
    "(its own included) or N requests are in progress. Default: no limit.",
)
@click.option(
    "--public-metrics",
    is_flag=True,
    help="Serve /metrics to anyone; without it, /metrics needs an auditor or system token.",
)
@pass_ledger
def serve(
    ledger: LedgerContext,
    host: str,
    port: int,
    workers: int,
    log_level: str,
    log_format: str,
    timeout_keep_alive: int,
    limit_concurrency: int | None,
    public_metrics: bool,
) -> None:
    """Serve the HTTP API on the configured database until stopped (SIGINT or SIGTERM).

    Every request but /healthz, the OpenAPI documents (/openapi.json, /docs, /redoc and
    their assets) and, with --public-metrics, /metrics needs a bearer token from
    `ledger tokens issue`.
    """
    import uvicorn

    from api.app import create_app
    from api.serving import WorkerConfig, run_workers

    check_address(host, port)
    container = ledger.container
    _ = container.ledger  # opened (its tables made) before any worker starts: errors come first
    options = uvicorn_options(
        host, port, log_level, log_format, timeout_keep_alive, limit_concurrency
    )
    try:
        if workers == 1:
            uvicorn.run(create_app(container, public_metrics=public_metrics), **options)
            return
        with tempfile.TemporaryDirectory(prefix="ledger-metrics-") as samples:
            os.environ["PROMETHEUS_MULTIPROC_DIR"] = samples  # read as the workers import it
            config = WorkerConfig(ledger.settings, public_metrics, workers=workers, **options)
            run_workers(config)
    except SystemExit as stopped:  # uvicorn's start-up failures; the reason is logged above
        if stopped.code not in (0, None):
            raise CannotListen("the server could not start (see the log above)") from None
