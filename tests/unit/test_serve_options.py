"""`ledger serve`'s options reach uvicorn: keep-alive, concurrency limit, log format."""

from __future__ import annotations

import logging.config
from typing import Any

import uvicorn

from api.logs import JsonFormatter
from cli.commands.serve import log_config, uvicorn_options


def config(**options: Any) -> uvicorn.Config:
    """uvicorn's own Config built from the options (its logging left alone: no I/O here)."""
    return uvicorn.Config("api.app:from_environment", **{**options, "log_config": None})


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
