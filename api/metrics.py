"""Prometheus metrics: requests, latencies, and commands by outcome.

With several workers (`ledger serve --workers N`) each process writes its samples to the
directory named by PROMETHEUS_MULTIPROC_DIR (set by `serve` before the workers start) and a
scrape of any worker sums them all.
"""

from __future__ import annotations

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.multiprocess import MultiProcessCollector

REGISTRY = CollectorRegistry()

REQUESTS = Counter(
    "ledger_http_requests",
    "HTTP requests answered, by method, route template and status code.",
    ["method", "route", "status"],
    registry=REGISTRY,
)
LATENCY = Histogram(
    "ledger_http_request_duration_seconds",
    "Time from a request's arrival to its answer, by method and route template.",
    ["method", "route"],
    registry=REGISTRY,
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
COMMANDS = Counter(
    "ledger_commands",
    "Lifecycle commands by name and outcome (done, replayed, invalid, unauthenticated, "
    "forbidden, not_found, conflict, error).",
    ["command", "outcome"],
    registry=REGISTRY,
)

CONTENT_TYPE = CONTENT_TYPE_LATEST


def outcome(status: int) -> str:
    if status < 400:
        return "done"
    return {401: "unauthenticated", 403: "forbidden", 404: "not_found", 409: "conflict"}.get(
        status, "error" if status >= 500 else "invalid"
    )


def observe(
    method: str, route: str, status: int, seconds: float, command: str | None, replay: bool
) -> None:
    REQUESTS.labels(method, route, str(status)).inc()
    LATENCY.labels(method, route).observe(seconds)
    if command is not None:
        COMMANDS.labels(command, "replayed" if replay else outcome(status)).inc()


def exposition() -> bytes:
    """The text format of every metric: this process's, or all workers' together."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry)
    return generate_latest(REGISTRY)
