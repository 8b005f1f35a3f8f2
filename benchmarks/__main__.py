"""python -m benchmarks [--quick] [--only W1,P1] [--json FILE]
or: python -m benchmarks --instructions [--walks LOW HIGH]"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

from benchmarks import instructions
from benchmarks.stack import Stack, running_stack
from benchmarks.table import Row, render, write_json

Group = Callable[[Stack], Iterator[Row]]


def groups() -> dict[str, Group]:
    """Each group measures some rows; imported here so `--only` loads only what it runs."""
    found: dict[str, Group] = {}
    from benchmarks import audit, commands, delivery, files, http, imports, merkle_log, reads, views

    found["W1,W2"] = commands.run
    found["W3"] = http.run
    found["P1,A1,S1"] = views.run
    found["A2"] = audit.run
    found["L1,L2,L3"] = merkle_log.run
    found["R1,C1,C2,S1"] = delivery.run
    found["H1,S1"] = reads.run
    found["M1"] = files.run
    found["M2"] = imports.run
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke test")
    parser.add_argument("--only", default="", help="comma-separated row ids, e.g. W1,P1")
    parser.add_argument("--json", type=Path, help="also write the rows to this file")
    parser.add_argument(
        "--instructions", action="store_true",
        help="instead of the rows: the instructions `ledger serve` executes per HTTP command, "
        "under valgrind's cachegrind (benchmarks/instructions.py)",
    )  # fmt: skip
    instructions.add_walks_option(parser)
    args = parser.parse_args(argv)
    if args.instructions:
        return instructions.report(*args.walks)
    wanted = {part.strip().upper() for part in args.only.split(",") if part.strip()}
    available = groups()
    unknown = wanted - {row_id for ids in available for row_id in ids.split(",")}
    if unknown:
        print(f"benchmarks: no such row: {', '.join(sorted(unknown))}", file=sys.stderr)
        return 2
    started = time.perf_counter()
    rows: list[Row] = []
    with running_stack(args.quick) as stack:
        for ids, group in available.items():
            if wanted and not wanted & set(ids.split(",")):
                continue
            print(f"benchmarks: {ids} ...", file=sys.stderr, flush=True)
            rows += [row for row in group(stack) if not wanted or row.id in wanted]
    seconds = time.perf_counter() - started
    print(render(rows))
    meta = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "quick": args.quick,
        "seconds": round(seconds, 1),
        "cpus": os.cpu_count(),
        "load_average": os.getloadavg(),
        "python": platform.python_version(),
    }
    print(f"{'quick' if args.quick else 'full'} run, {seconds:.0f} s, load average "
          f"{meta['load_average'][0]:.1f} on {meta['cpus']} CPUs")  # fmt: skip
    if args.json:
        write_json(rows, args.json, meta)
    return 0


if __name__ == "__main__":
    sys.exit(main())
