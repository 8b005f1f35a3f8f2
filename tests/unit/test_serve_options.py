"""`ledger serve`'s options reach uvicorn: keep-alive, concurrency limit, log format."""

from __future__ import annotations

import logging.config
import pickle
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI

from api.logs import JsonFormatter
from api.serving import WORKER_HEALTHCHECK, WorkerConfig
from cli.commands.serve import log_config, uvicorn_options
from ledger.config import Settings


def config(**options: Any) -> uvicorn.Config:
    """uvicorn's own Config built from the options (its logging left alone: no I/O here)."""
    return uvicorn.Config("api.serving:WorkerConfig", **{**options, "log_config": None})


def test_the_workers_get_the_settings_in_their_config_not_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """uvicorn pickles a worker's config into the new process: the ledger's settings ride in
    it, and the app is built from them there, whatever LEDGER_DATABASE_URL says."""
    monkeypatch.setenv("LEDGER_DATABASE_URL", "sqlite:////nonexistent/dir/ledger.db")
    settings = Settings(database_url="memory:serve-options", policy_path=None)
    options = {**uvicorn_options("127.0.0.1", 8080, "info"), "log_config": None}
    sent = WorkerConfig(settings, True, workers=2, **options)

    worker = pickle.loads(pickle.dumps(sent))
    app = worker.load_app()()

    assert (worker.ledger_settings, worker.public_metrics, worker.workers) == (settings, True, 2)
    assert worker.timeout_worker_healthcheck == WORKER_HEALTHCHECK
    assert isinstance(app, FastAPI)
    assert app.state.public_metrics is True
    assert (
        app.state.services.ledger.env["SQLITE_DBNAME"]
        == "file:ledger-serve-options?mode=memory&cache=shared"
    )
    app.state.services.ledger.close()


def test_keep_alive_and_concurrency_limit_reach_uvicorns_config() -> None:
    built = config(**uvicorn_options("127.0.0.1", 8080, "info", "plain", 7, 3))
    default = config(**uvicorn_options("127.0.0.1", 8080, "info"))  # as the benchmark calls it

    assert (built.timeout_keep_alive, built.limit_concurrency) == (7, 3)
    assert (default.timeout_keep_alive, default.limit_concurrency) == (5, None)
    assert (built.access_log, built.server_header) == (False, False)


def test_json_log_format_configures_the_json_formatter_for_uvicorn_and_the_ledger() -> None:
    found = log_config("warning", "json")

    assert found["formatters"] == {"json": {"()": "api.logs.JsonFormatter"}}
    assert found["handlers"]["stderr"]["formatter"] == "json"
    assert {name: logger["level"] for name, logger in found["loggers"].items()} == {
        "uvicorn": "WARNING",
        "ledger": "WARNING",
    }
    configurator = logging.config.DictConfigurator(found)
    assert isinstance(configurator.configure_formatter(found["formatters"]["json"]), JsonFormatter)
