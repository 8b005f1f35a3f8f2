"""W3: HTTP requests/s for the W1 command mix through a real `ledger serve`.

The server is `ledger --db URL serve --port P --workers N` in a subprocess, on a fresh
database of the stack's durable PostgreSQL, with its default log level (one line per
request). The load comes from another process (`benchmarks.loadgen`): keep-alive clients
on loopback, each walking refunds through request, verification when goods come back, a
manager's approval above 50.00, payout start and settlement, every POST with a fresh
Idempotency-Key. A second row reads refunds back (GET /refunds/{id} and its history) through
the same server: the stack without the event store's writes. The baseline is
`benchmarks.trivial` (one POST route that echoes a small JSON body) under the same uvicorn
options, workers and clients. Each load gets a short warm-up that is not counted. The notes
give the CPU each side used: on 2 cores the generator, the server and PostgreSQL share them.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path

from benchmarks.loadgen import Plan, Tally
from benchmarks.stack import Stack
from benchmarks.stats import percentile
from benchmarks.table import Row, Target
from ledger.app.tokens import Tokens
from ledger.bootstrap import bootstrap
from ledger.config import Settings
from ledger.domain.actor import Actor
from localservers.process import stop

LEDGER = str(Path(sys.executable).with_name("ledger"))
ACTORS = {"agent": "agent:ann", "verifier": "verifier:vic", "manager": "manager:bob",
          "finance": "finance:fay"}  # fmt: skip
START_SECONDS = 60
WORKERS = 2
CLIENTS = 16


def run(stack: Stack) -> Iterator[Row]:
    requests = stack.size(full=60_000, quick=1_500)
    seconds = stack.size(full=40, quick=2)
    warmup = stack.size(full=600, quick=50)
    url = stack.database("http")
    tokens = issue_tokens(url)
    base = Plan(0, "trivial", CLIENTS, requests, seconds)
    with serving([sys.executable, "-m", "benchmarks.trivial"], "/echo", stack.scratch) as server:
        trivial, trivial_cpu = load(server, Plan(**{**asdict(base), "port": server.port}), warmup)
    command = [LEDGER, "--db", url, "serve"]
    with serving(command, "/healthz", stack.scratch) as server:
        tag = uuid.uuid4().hex[:8]
        plan = Plan(server.port, "commands", CLIENTS, requests, seconds, tokens, tag)
        found, server_cpu = load(server, plan, warmup)
        read = Plan(**{**asdict(plan), "mix": "reads", "tag": tag + "r", "seconds": seconds / 2})
        reads, reads_cpu = load(server, read, warmup)
    baseline = trivial.answered / trivial.seconds
    trivial_note = (
        f"trivial: server {_per(trivial_cpu, trivial)}, generator "
        f"{_per(trivial.cpu_seconds, trivial)} CPU ms per request"
    )
    yield _row("HTTP commands", found, server_cpu, baseline, (Target(1500),), trivial_note)
    yield _row("HTTP reads (show, history)", reads, reads_cpu, baseline, (), "")


def _row(
    what: str, found: Tally, server_cpu: float, baseline: float, targets: tuple[Target, ...],
    more: str,
) -> Row:  # fmt: skip
    return Row(
        "W3",
        f"{what}, {CLIENTS} clients, {WORKERS} workers",
        found.answered / found.seconds,
        "requests/s",
        baseline,
        "trivial POST, same server",
        targets=targets,
        note=(
            f"{what}: {found.answered} requests in {found.seconds:.1f} s, p50 "
            f"{percentile(found.latencies_ms, 50):.1f} ms, p99 "
            f"{percentile(found.latencies_ms, 99):.1f} ms; CPU ms per request: server "
            f"{_per(server_cpu, found)}, load generator {_per(found.cpu_seconds, found)}"
            + (f" ({more})" if more else "")
        ),
    )


def _per(cpu_seconds: float, tally: Tally) -> str:
    return f"{1000 * cpu_seconds / max(1, tally.answered):.2f}"


def issue_tokens(url: str) -> dict[str, str]:
    """A bearer token per role, straight into the database (what `ledger tokens issue` does)."""
    app = bootstrap(Settings(database_url=url)).ledger  # also creates the ledger's tables
    try:
        store = Tokens.open(app)
        return {role: store.issue(Actor.parse(actor), 1).token for role, actor in ACTORS.items()}
    finally:
        app.close()


class Serving:
    def __init__(self, port: int, pid: int) -> None:
        self.port, self.pid = port, pid

    def cpu_seconds(self) -> float:
        """User and system CPU of the server and its workers (its children), from /proc."""
        stats = {}
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:  # after the command name, in parentheses: state, ppid, ... utime, stime
                    fields = (entry / "stat").read_text().rpartition(")")[2].split()
                except OSError:
                    continue  # gone meanwhile
                stats[int(entry.name)] = (int(fields[1]), int(fields[11]) + int(fields[12]))
        ours = {self.pid} | {pid for pid, (parent, _) in stats.items() if parent == self.pid}
        return sum(stats[pid][1] for pid in ours if pid in stats) / os.sysconf("SC_CLK_TCK")


@contextmanager
def serving(command: list[str], ready: str, scratch: Path) -> Iterator[Serving]:
    """The server on a free loopback port with WORKERS workers, until the block ends."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LEDGER_", "PROMETHEUS_"))}
    log = Path(tempfile.mkstemp(prefix="w3-", suffix=".log", dir=scratch)[1])
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [*command, "--port", str(port), "--workers", str(WORKERS)],
            stdout=sink, stderr=subprocess.STDOUT, env=env, start_new_session=True,
        )  # fmt: skip
    try:
        wait_ready(port, ready, process, log)
        yield Serving(port, process.pid)
    finally:
        stop(process, 15)
    errors = [line for line in log.read_text(errors="replace").splitlines()
              if " ERROR " in line or "Traceback" in line]  # fmt: skip
    if errors:
        raise RuntimeError(f"the server logged errors ({log}):\n" + "\n".join(errors[:10]))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_ready(port: int, path: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_SECONDS
    method = "POST" if path == "/echo" else "GET"
    request = (f"{method} {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
               "Content-Length: 2\r\nConnection: close\r\n\r\n{}").encode()  # fmt: skip
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
                conn.sendall(request)
                if conn.recv(64).startswith((b"HTTP/1.1 200", b"HTTP/1.1 422")):
                    return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"the server did not start:\n{log.read_text(errors='replace')}")


def load(server: Serving, plan: Plan, warmup: int) -> tuple[Tally, float]:
    """Warm up (not counted), then run `plan`; the tally and the server's CPU seconds."""
    drive(Plan(**{**asdict(plan), "requests": warmup, "tag": plan.tag + "w"}))
    before = server.cpu_seconds()
    tally = drive(plan)
    return tally, server.cpu_seconds() - before


def drive(plan: Plan) -> Tally:
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.loadgen"],
        input=json.dumps(asdict(plan)), capture_output=True, text=True, check=False,
        timeout=plan.seconds + 120,
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"the load generator failed:\n{done.stderr}")
    tally = Tally(**json.loads(done.stdout))
    if tally.failures or any(int(status) >= 300 for status in tally.statuses):
        raise RuntimeError(f"W3 requests failed: {tally.statuses} {tally.failures[:5]}")
    return tally
