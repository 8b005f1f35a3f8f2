"""W1 and W2: refund commands through the application, beside raw INSERT transactions.

W1 counts commands/s of the mix in `benchmarks/mix.py` (request, verify where goods come
back, approve above the automatic limit, payout start and settle) with 1 and 8 clients on
PostgreSQL and SQLite; the baseline is single-row INSERT transactions/s with as many
connections on the same server (for SQLite, the same file system and journal settings).
Each W1 row is followed by one of the same mix with an idempotency key on every command
(recorded with the command's events): unkeyed, keyed, keyed, unkeyed runs, and the
row's baseline is the unkeyed figure, so its ratio is what recording the keys costs.

How the 8 concurrent clients are made: 8 threads in one process, sharing one `RefundLedger`.
That is how the product serves concurrent commands: each `ledger serve` worker process runs
its (synchronous) handlers on a thread pool that shares one application, so concurrent
commands meet in one process, where they can share connections, caches and transactions. A
deployment adds worker processes for more cores; on these 2-core machines the server itself
needs one, so a single process is also what the machine holds. The raw baseline uses 8
threads with a connection each (psycopg and sqlite3 release the GIL while they wait).

W2 offers 1,000 commands/s of the same mix in an open loop (`benchmarks/load.py`): 32
refunds in flight, each refund's commands in order, run by a pool of 16 threads sharing one
application; each latency counts from the command's scheduled time. The baseline is raw
single-row INSERT transactions offered at the same rate to the same pool.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from itertools import count

from benchmarks import mix, raw
from benchmarks.load import closed_loop, open_loop
from benchmarks.stack import Stack
from benchmarks.stats import percentile
from benchmarks.table import Row, Target
from ledger.app.service import RefundLedger
from ledger.bootstrap import bootstrap
from ledger.config import Settings

CLIENTS = (1, 8)
W1_TARGET = 5000.0  # commands/s, 8 clients on PostgreSQL
W2_RATE = 1000.0  # commands/s offered
W2_P99_TARGET = 20.0  # ms
W2_LANES = 32
W2_WORKERS = 16
_runs = count()


def run(stack: Stack) -> Iterator[Row]:
    seconds = stack.size(10.0, 0.5)  # per W1 figure
    postgres, postgres_raw = stack.database("cmd"), _raw_inserter(stack.database("cmdraw"))
    app = bootstrap(Settings(database_url=postgres)).ledger
    try:
        yield from _w1(app, "PostgreSQL", postgres_raw, seconds)
        yield from _w2(app, postgres_raw, stack.size(30.0, 1.0))
    finally:
        app.close()
    app = bootstrap(Settings(database_url=stack.sqlite("cmd"))).ledger
    try:
        yield from _w1(app, "SQLite", _raw_inserter(stack.sqlite("cmdraw")), seconds)
    finally:
        app.close()


def _w1(app: RefundLedger, backend: str, inserter: Inserter, seconds: float) -> Iterator[Row]:
    for clients in CLIENTS:
        saved = _transactions(app)
        figure = closed_loop(clients, seconds, _app_client(app))
        commands = figure * seconds
        transactions = _transactions(app) - saved
        baseline = closed_loop(clients, seconds, lambda _: _insert_slot(inserter))
        yield Row(
            "W1",
            f"commands, {clients} client{'s' * (clients > 1)}, {backend}",
            figure,
            "/s",
            baseline,
            f"raw INSERT tx/s, {clients} conn",
            (Target(W1_TARGET),) if clients == 8 and backend == "PostgreSQL" else (),
            note=f"{backend}, {clients} clients (threads sharing one application): "
            f"{commands / max(transactions, 1):.1f} commands per transaction (group commit)"
            if clients > 1
            else "",
        )
        yield _keyed_row(app, backend, clients, seconds)


def _keyed_row(app: RefundLedger, backend: str, clients: int, seconds: float) -> Row:
    """The mix with a key on every command, against the mix without, alternated."""
    figures: dict[bool, list[float]] = {False: [], True: []}
    for with_keys in (False, True, True, False):  # ABBA: a store that grows slows neither
        client = _app_client(app, with_keys)
        figures[with_keys].append(closed_loop(clients, seconds / 2, client))
    keyed, unkeyed = (sum(figures[k]) / len(figures[k]) for k in (True, False))
    return Row(
        "W1",
        f"commands with a key each, {clients} client{'s' * (clients > 1)}, {backend}",
        keyed,
        "/s",
        unkeyed,
        "same mix without keys, alternated",
        note=f"{backend}, {clients} client{'s' * (clients > 1)}: recording the keys costs "
        f"{100 * (1 - keyed / unkeyed):+.1f}% of the commands/s (runs without keys: "
        + ", ".join(f"{f:,.0f}" for f in figures[False])
        + "; with: "
        + ", ".join(f"{f:,.0f}" for f in figures[True])
        + ")",
    )


def _w2(app: RefundLedger, inserter: Inserter, seconds: float) -> Iterator[Row]:
    lanes = _Lanes(app, W2_LANES)
    latencies = open_loop(W2_RATE, seconds, W2_WORKERS, lambda _: _shared(lanes.run))
    raw_latencies = open_loop(W2_RATE, seconds, W2_WORKERS, lambda _: _insert_slot(inserter))
    note = (
        f"open loop, {W2_RATE:,.0f} commands/s offered for {seconds:.0f} s, {W2_LANES} refunds "
        f"in flight, {W2_WORKERS} threads; latency from each command's scheduled time"
    )
    for p, targets in ((50, ()), (99, (Target(W2_P99_TARGET, at_least=False),))):
        yield Row(
            "W2",
            f"command latency p{p} at {W2_RATE:,.0f}/s, PostgreSQL",
            percentile(latencies, p),
            "ms",
            percentile(raw_latencies, p),
            f"raw INSERT p{p}",
            targets,
            lower_is_better=True,
            note=note if p == 99 else "",
        )


def _run_tag() -> str:
    """Unique per run and process: each run makes its own orders and customers."""
    return f"p{os.getpid()}r{next(_runs)}"


def _transactions(app: RefundLedger) -> int:
    group = getattr(app.recorder, "group_commit", None)
    return int(getattr(group, "batches", 0))


Inserter = Callable[[], AbstractContextManager[raw.Insert]]


def _raw_inserter(url: str) -> Inserter:
    if url.startswith("sqlite"):
        path = url.removeprefix("sqlite:///")
        raw.sqlite_table(path)
        return lambda: raw.sqlite_inserter(path)
    raw.postgres_table(url)
    return lambda: raw.postgres_inserter(url)


def _app_client(
    app: RefundLedger, keyed: bool = False
) -> Callable[[int], AbstractContextManager[Step]]:
    def client(index: int) -> AbstractContextManager[Step]:
        commands = mix.commands(app, f"{_run_tag()}c{index}", keyed)
        return _shared(lambda _: next(commands))

    return client


Step = Callable[[int], object]


@contextmanager
def _shared(step: Step) -> Iterator[Step]:
    yield step


@contextmanager
def _insert_slot(inserter: Inserter) -> Iterator[Step]:
    with inserter() as insert:
        yield lambda _: insert()


class _Lanes:
    """`lanes` refunds in flight: slot i runs the next command of lane i % lanes, once the
    lane's previous command is done (a refund's commands are made one after another)."""

    def __init__(self, app: RefundLedger, lanes: int) -> None:
        self.lanes = lanes
        self.turns = [0] * lanes
        self.changed = threading.Condition()
        run = _run_tag()
        self.commands = [mix.commands(app, f"{run}l{lane}") for lane in range(lanes)]

    def run(self, slot: int) -> object:
        lane, turn = slot % self.lanes, slot // self.lanes
        with self.changed:
            self.changed.wait_for(lambda: self.turns[lane] == turn)
        try:
            return next(self.commands[lane])
        finally:
            with self.changed:
                self.turns[lane] += 1
                self.changed.notify_all()
