"""Serving the API with several uvicorn worker processes, on the settings `serve` was given.

uvicorn starts each worker as a new interpreter and hands it its `Config` (pickled). The
ledger's settings travel in that config: `WorkerConfig.load_app` builds the app from them in
the worker, so no setting goes through the environment. The one exception is the library's
own: prometheus_client reads PROMETHEUS_MULTIPROC_DIR from the environment as it is imported
(api/metrics.py), so `serve` sets that variable before the workers start.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import uvicorn
from fastapi import FastAPI
from uvicorn.supervisors import Multiprocess

from ledger.bootstrap import bootstrap
from ledger.config import Settings

# Seconds the supervisor waits for a worker's answer to its ping before it kills the worker.
# A new worker answers only once it has imported the app (1.5 s of CPU): uvicorn's default of
# 5 s killed every worker of `serve --workers 2` in a loop at load average 15 on 2 cores.
WORKER_HEALTHCHECK = 60


class WorkerConfig(uvicorn.Config):
    """uvicorn's settings and the ledger's: each worker builds its own app from both."""

    def __init__(self, settings: Settings, public_metrics: bool, **options: Any) -> None:
        options.setdefault("timeout_worker_healthcheck", WORKER_HEALTHCHECK)
        super().__init__("api.serving:WorkerConfig", factory=True, **options)
        self.ledger_settings = settings
        self.public_metrics = public_metrics

    def load_app(self) -> Callable[[], FastAPI]:
        def build() -> FastAPI:
            from api.app import create_app

            return create_app(bootstrap(self.ledger_settings), self.public_metrics)

        return build


def run_workers(config: WorkerConfig) -> None:
    """What `uvicorn.run` does for `workers > 1`, with a config of ours: one listening
    socket, shared by the workers."""
    Multiprocess(config, sockets=[config.bind_socket()]).run()
