"""L1 integration of the audit log, L2 `audit verify --checkpoint`, L3 `audit prove`.

On the shared "events" load (about 1,000,000 events, quick 10,000), the one P1 and A1 use:

- L1: `ledger audit integrate --once` as a real subprocess, the log from zero; events/s over
  the subprocess's wall time (start-up included). Baseline: the raw notification-log read
  and decode of the same events in this process (P1's baseline).
- L2: `audit verify --checkpoint` as the query service runs it (every event of every
  aggregate hashed against a checkpoint signed here, the integrated log read beside, every
  refund chain in the same pass); events/s counts every stored event. Baseline: the same
  raw read and decode.
- L3: `audit prove` latency on the tree of the whole load: the inclusion proofs of every
  event of a random refund (about 12) from the kept nodes, in this process, p50 and p99
  over 1,000 refunds (quick 100). Baseline: the raw SELECT of that refund's stored events.
"""

from __future__ import annotations

import random
import subprocess
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime

from benchmarks.stack import Stack
from benchmarks.stats import percentile, rate
from benchmarks.table import Row, Target
from benchmarks.views import LEDGER, events_database, read_and_decode
from ledger.audit.checkpoints import sign_checkpoint
from ledger.audit.note import Signer
from ledger.bootstrap import Container, bootstrap
from ledger.config import Settings
from ledger.store.merkle_log import CHECKPOINTS, LEAVES, NAME, TILES, TREE


def run(stack: Stack) -> Iterator[Row]:
    url, _ = events_database(stack)
    container = bootstrap(Settings(database_url=url))
    try:
        app = container.ledger
        events, raw_seconds = read_and_decode(app, None)
        log = container.audit_log
        log.store.reset(NAME, (LEAVES, TILES, TREE, CHECKPOINTS))
        seconds = _integrate(url)
        if log.head().size != events:
            raise RuntimeError(f"the log holds {log.head().size} leaves, not {events}")
        yield Row(
            "L1", "audit log integration, from zero", rate(events, seconds), "events/s",
            rate(events, raw_seconds), "raw log read+decode", (Target(100_000),),
            note=f"{events:,} events; `ledger audit integrate --once` subprocess, "
            f"{seconds:.1f} s wall (start-up included)",
        )  # fmt: skip
        signer = Signer.generate("bench.local/log")
        note = sign_checkpoint(log, signer, datetime.now(UTC))
        started = time.perf_counter()
        verified = container.queries.audit.verify(note, signer.verifier)
        verify_seconds = time.perf_counter() - started
        if not verified.log.intact or not verified.chains.intact:
            raise RuntimeError(f"verify --checkpoint disagrees: {verified.log.as_json()}")
        yield Row(
            "L2", "audit verify --checkpoint", rate(events, verify_seconds), "events/s",
            rate(events, raw_seconds), "raw log read+decode", (Target(100_000),),
            note=f"{events:,} events against the checkpoint, {verified.chains.events:,} "
            "refund events' chains in the same pass",
        )  # fmt: skip
        yield from _prove(stack, container)
    finally:
        container.close()


def _integrate(url: str) -> float:
    command = [str(LEDGER), "--db", url, "audit", "integrate", "--once"]
    with tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        done = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=err, check=False)
        seconds = time.perf_counter() - started
        err.seek(0)
        if done.returncode != 0:
            raise RuntimeError(f"audit integrate failed: {err.read().decode()[-2000:]}")
    return seconds


def _prove(stack: Stack, container: Container) -> Iterator[Row]:
    queries, app = container.queries, container.ledger
    ids = list(app.refund_ids())
    refunds = random.Random(15).sample(ids, min(stack.size(1000, 100), len(ids)))
    timings, raw = [], []
    for refund_id in refunds:
        started = time.perf_counter()
        proofs = queries.audit.inclusion(None, refund_id)
        timings.append((time.perf_counter() - started) * 1000)
        if not proofs.proven:
            raise RuntimeError(f"no proof for refund {refund_id}")
        started = time.perf_counter()
        app.recorder.select_events(refund_id)
        raw.append((time.perf_counter() - started) * 1000)
    size = proofs.size
    for label, p in (("p50", 50), ("p99", 99)):
        targets = (Target(5, at_least=False),) if p == 99 else ()
        yield Row(
            "L3", f"`audit prove` {label}, a refund's events", percentile(timings, p), "ms",
            percentile(raw, p), "raw SELECT of the refund's events", targets,
            lower_is_better=True,
            note=f"{len(refunds)} refunds, a tree of {size:,} leaves" if p == 99 else "",
        )  # fmt: skip
