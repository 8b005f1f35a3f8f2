"""Measure requests/s through a real `ledger serve` for a typical mix of commands and reads.

Starts a private embedded PostgreSQL (localservers.postgres's `start_postgres`: fsync off, as in
the tests) or a SQLite file (`--sqlite`), then `ledger --db URL serve --port 0 [--workers N]`
in a subprocess, issues tokens with `ledger tokens issue`, and drives the server from this
process (a second process on loopback) with `--clients` threads, one keep-alive httpx client
each, until `--requests` requests are answered or `--seconds` pass, whichever comes first.

Each client takes refunds in turn and walks each through its lifecycle; refunds rotate over
three paths: `damaged` 30.00 (the verifier verifies, then it is approved automatically),
`billing_error` 30.00 (approved at once) and `billing_error` 120.00 (a manager approves).
Then finance starts and settles the payout, the agent adds a note, and the refund is read
back (GET /refunds/{id} and its history; every other refund also a page of
GET /refunds?status=paid). Every POST carries a fresh Idempotency-Key; each refund has its
own order and customer (no fraud flags). Prints the figures, with the CPU time of the
clients, of the server (all its workers) and of PostgreSQL during the load; exits 1 on any 5xx
or connection failure. A benchmark: nothing else is asserted.

    .venv/bin/python scripts/measure_http.py --clients 8 --requests 4000 [--workers 2] [--sqlite]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

import httpx
import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests"), str(ROOT)]
from localservers.postgres import start_postgres
from localservers.process import stop

LEDGER = str(Path(sys.executable).with_name("ledger"))
ACTORS = {"agent": "agent:ann", "verifier": "verifier:vic", "manager": "manager:bob",
          "finance": "finance:fay"}  # fmt: skip
LISTENING = re.compile(r"Uvicorn running on http://127\.0\.0\.1:(\d+)")
START_SECONDS = 60
#: (reason, amount, who approves: None when the ledger approves automatically)
PATHS = (("damaged", "30.00", None), ("billing_error", "30.00", None),
         ("billing_error", "120.00", "manager"))  # fmt: skip


@dataclass
class Load:
    """The shared budget of requests and time, and what every answered request measured."""

    requests: int
    deadline: float
    loadavg_before: list[str]
    client_cpu: float = 0.0
    cpu: dict[str, float] = field(default_factory=dict)
    issued: int = 0
    latencies: dict[str, list[float]] = field(default_factory=dict)
    statuses: Counter[tuple[str, int]] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    stop: threading.Event = field(default_factory=threading.Event)

    def take(self) -> bool:
        """One more request may go out (False once the count or the time is spent)."""
        with self.lock:
            if self.stop.is_set() or self.issued >= self.requests:
                return False
            if time.monotonic() >= self.deadline:
                self.stop.set()
                return False
            self.issued += 1
            return True

    def record(self, route: str, status: int, seconds: float) -> None:
        with self.lock:
            self.latencies.setdefault(route, []).append(seconds)
            self.statuses[route, status] += 1


class Budget(Exception):
    """The request budget is spent: this client stops."""


class Client:
    """One thread's keep-alive connection, acting as whichever actor each request needs."""

    def __init__(self, base_url: str, tokens: dict[str, str], load: Load) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=30)
        self.auth = {role: {"Authorization": f"Bearer {token}"} for role, token in tokens.items()}
        self.load = load

    def call(self, role: str, method: str, route: str, path: str, body: Any = None) -> Any:
        if not self.load.take():
            raise Budget
        headers = dict(self.auth[role])
        if method == "POST":
            headers["Idempotency-Key"] = uuid.uuid4().hex
        started = time.perf_counter()
        try:
            answer = self.http.request(method, path, json=body, headers=headers)
        except httpx.HTTPError as error:
            with self.load.lock:
                self.load.failures.append(f"{method} {route}: {type(error).__name__}: {error}")
            return None
        self.load.record(f"{method} {route}", answer.status_code, time.perf_counter() - started)
        return answer.json() if answer.is_success else None

    def lifecycle(self, n: int) -> None:
        reason, amount, approver = PATHS[n % len(PATHS)]
        body = {"order_id": f"O-{n}", "customer_id": f"C-{n}", "amount": amount,
                "currency": "EUR", "order_total": "250.00", "reason": reason}  # fmt: skip
        refund = self.call("agent", "POST", "/refunds", "/refunds", body)
        if refund is None:
            return
        at = f"/refunds/{refund['id']}"
        if refund["status"] == "requested":
            self.call("verifier", "POST", "/refunds/{id}/verification", f"{at}/verification",
                      {"condition": "as described"})  # fmt: skip
        if approver is not None:
            self.call(approver, "POST", "/refunds/{id}/approvals", f"{at}/approvals", {})
        self.call("finance", "POST", "/refunds/{id}/payouts", f"{at}/payouts", {})
        self.call("finance", "POST", "/refunds/{id}/payouts/settlement",
                  f"{at}/payouts/settlement", {"reference": f"PSP-{n}"})  # fmt: skip
        self.call("agent", "POST", "/refunds/{id}/notes", f"{at}/notes", {"text": "paid"})
        self.call("agent", "GET", "/refunds/{id}", at)
        self.call("agent", "GET", "/refunds/{id}/history", f"{at}/history")
        if n % 2:
            self.call("manager", "GET", "/refunds?status=", "/refunds?status=paid&limit=20")

    def run(self, first: int, step: int) -> None:
        try:
            with self.http:
                for n in range(first, sys.maxsize, step):
                    self.lifecycle(n)
        except Budget:
            pass


@contextmanager
def database(sqlite: bool) -> Iterator[tuple[str, list[psutil.Process]]]:
    """The database URL, and its server's processes to watch (none for a SQLite file)."""
    if sqlite:
        with tempfile.TemporaryDirectory(prefix="ledger-http-") as tmp:
            yield f"sqlite:///{tmp}/ledger.db", []
        return
    server, base = start_postgres()
    try:
        data = str(base / "data")
        postmaster = [found for found in psutil.process_iter(["cmdline"])
                      if data in (found.info["cmdline"] or ())]  # fmt: skip
        yield str(server.get_uri()), postmaster
    finally:
        server.cleanup()
        shutil.rmtree(base, ignore_errors=True)


@contextmanager
def serving(url: str, workers: int, log: Path) -> Iterator[tuple[str, psutil.Process]]:
    """`ledger serve` on a free loopback port: its base URL and process. Stopped after."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LEDGER_", "PROMETHEUS_"))}
    command = [LEDGER, "--db", url, "serve", "--port", "0", "--workers", str(workers)]
    with log.open("wb") as sink:  # its own session: a Ctrl-C here does not reach it
        process = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT, env=env,
                                   start_new_session=True)  # fmt: skip
    try:
        deadline = time.monotonic() + START_SECONDS
        while not (found := LISTENING.search(log.read_text(errors="replace"))):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"ledger serve did not start:\n{log.read_text()}")
            time.sleep(0.05)
        base_url = f"http://127.0.0.1:{found.group(1)}"
        wait_healthy(base_url, deadline)
        yield base_url, psutil.Process(process.pid)
    finally:
        stop(process, 15)


def wait_healthy(base_url: str, deadline: float) -> None:
    """With several workers the port is bound before any worker listens on it."""
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base_url}/healthz").status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    raise RuntimeError("ledger serve never answered /healthz")


def issue_tokens(url: str) -> dict[str, str]:
    tokens = {}
    for role, actor in ACTORS.items():
        issued = subprocess.run([LEDGER, "--db", url, "tokens", "issue", "--actor", actor,
                                 "--json"], check=True, capture_output=True, text=True)  # fmt: skip
        tokens[role] = json.loads(issued.stdout)["token"]
    return tokens


def cpu_seconds(processes: list[psutil.Process]) -> float:
    """User and system CPU time of the processes and their children still alive."""
    total = 0.0
    for process in processes:
        try:
            for one in (process, *process.children(recursive=True)):
                times = one.cpu_times()
                total += times.user + times.system
        except psutil.NoSuchProcess:
            pass
    return total


def drive(
    base_url: str,
    tokens: dict[str, str],
    args: argparse.Namespace,
    watched: dict[str, list[psutil.Process]],
) -> tuple[Load, float]:
    load = Load(args.requests, time.monotonic() + args.seconds, loadavg())
    before = {name: cpu_seconds(processes) for name, processes in watched.items()}
    clients = [Client(base_url, tokens, load) for _ in range(args.clients)]
    threads = [threading.Thread(target=client.run, args=(i, args.clients), daemon=True)
               for i, client in enumerate(clients)]  # fmt: skip
    started, cpu = time.perf_counter(), time.process_time()
    for thread in threads:
        thread.start()
    try:
        for thread in threads:
            while thread.is_alive():
                thread.join(0.2)  # short waits: a Ctrl-C reaches this thread
    finally:
        load.stop.set()
    load.client_cpu = time.process_time() - cpu
    load.cpu = {name: cpu_seconds(found) - before[name] for name, found in watched.items()}
    return load, time.perf_counter() - started


def loadavg() -> list[str]:
    return Path("/proc/loadavg").read_text().split()[:3]


def percentile(ordered: list[float], p: float) -> float:
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000


def figures(load: Load, seconds: float, args: argparse.Namespace) -> dict[str, Any]:
    answered = sum(load.statuses.values())
    commands = sum(n for (route, _), n in load.statuses.items() if route.startswith("POST"))
    every = sorted(s for found in load.latencies.values() for s in found)
    routes = {
        route: {
            "requests": len(found),
            "p50_ms": percentile(ordered, 50),
            "p90_ms": percentile(ordered, 90),
            "p99_ms": percentile(ordered, 99),
            "mean_ms": statistics.fmean(ordered) * 1000,
        }  # fmt: skip
        for route, found in sorted(load.latencies.items())
        if (ordered := sorted(found))
    }
    return {
        "backend": "sqlite" if args.sqlite else "postgres",
        "workers": args.workers,
        "clients": args.clients,
        "requests": answered,
        "commands": commands,
        "seconds": seconds,
        "requests_per_s": answered / seconds,
        "commands_per_s": commands / seconds,
        "p50_ms": percentile(every, 50) if every else None,
        "p99_ms": percentile(every, 99) if every else None,
        "routes": routes,
        "not_2xx": {f"{r} -> {s}": n for (r, s), n in sorted(load.statuses.items()) if s >= 300},
        "connection_failures": load.failures,
        "client_cpu_seconds": load.client_cpu,
        "server_cpu_seconds": load.cpu.get("server"),
        "postgres_cpu_seconds": load.cpu.get("postgres"),
        "loadavg_before": load.loadavg_before,
        "loadavg_after": loadavg(),
        "command": " ".join(sys.argv),
    }


def report(found: dict[str, Any]) -> None:
    print(f"back end {found['backend']}, {found['workers']} server worker(s), "
          f"{found['clients']} clients; load average before {' '.join(found['loadavg_before'])}, "
          f"after {' '.join(found['loadavg_after'])}")  # fmt: skip
    print(f"{found['requests']} requests ({found['commands']} commands) in "
          f"{found['seconds']:.2f} s: {found['requests_per_s']:.0f} requests/s, "
          f"{found['commands_per_s']:.0f} commands/s")  # fmt: skip
    cpu = [f"{name} {found[f'{name}_cpu_seconds']:.1f} s" for name in ("server", "postgres")
           if found[f"{name}_cpu_seconds"] is not None]  # fmt: skip
    per = 1000 * sum(found[f"{n}_cpu_seconds"] or 0 for n in ("client", "server", "postgres"))
    print(f"CPU: clients (this process) {found['client_cpu_seconds']:.1f} s, {', '.join(cpu)}; "
          f"{per / max(1, found['requests']):.1f} ms of CPU per request in all")  # fmt: skip
    print(f"{'route':<42} {'count':>6} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8}")
    for route, r in found["routes"].items():
        print(f"{route:<42} {r['requests']:>6} {r['p50_ms']:>8.1f} {r['p90_ms']:>8.1f} "
              f"{r['p99_ms']:>8.1f}")  # fmt: skip
    print(f"not 2xx: {found['not_2xx'] or 'none'}")
    for failure in found["connection_failures"][:10]:
        print(f"connection failure: {failure}")


def stop_on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt  # unwinds through every `finally`: the server and database stop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients (threads)")
    parser.add_argument("--requests", type=int, default=5000, help="stop after this many")
    parser.add_argument("--seconds", type=float, default=60, help="or after this long")
    parser.add_argument("--workers", type=int, default=1, help="`ledger serve --workers`")
    parser.add_argument("--sqlite", action="store_true", help="a SQLite file, not PostgreSQL")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, stop_on_sigterm)
    with database(args.sqlite) as (url, postgres), tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "serve.log"
        tokens = issue_tokens(url)
        with serving(url, args.workers, log) as (base_url, server):
            watched = (
                {"server": [server], "postgres": postgres} if postgres else {"server": [server]}
            )
            load, seconds = drive(base_url, tokens, args, watched)
        found = figures(load, seconds, args)
        errors = [line for line in log.read_text(errors="replace").splitlines()
                  if " ERROR " in line or "Traceback" in line]  # fmt: skip
    report(found)
    for line in errors[:20]:
        print(f"server log: {line}")
    if args.json:
        args.json.write_text(json.dumps(found, indent=2) + "\n")
    server_errors = any(status >= 500 for _, status in load.statuses)
    sys.exit(1 if server_errors or load.failures else 0)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:  # the server and the database were stopped on the way out
        sys.exit("interrupted")
