"""The peak RSS of a real `ledger` process, and a benchmark row that compares two of them.

`peak_rss_mb(argv, env)` runs `ledger ARGV...` in a fresh interpreter that writes its VmHWM
(the kernel's high-water mark of its resident set) to stderr as it exits: unlike the
`ru_maxrss` of a child, it cannot count the parent's pages from before the exec.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence

from benchmarks.table import Row, Target

#: `python -c PEAK_AT_EXIT ARGS...` runs `ledger ARGS...` and, as it exits, writes its VmHWM.
PEAK_AT_EXIT = """
import atexit, runpy, sys

def peak():
    with open("/proc/self/status") as status:
        sys.stderr.write("".join(line for line in status if line.startswith("VmHWM:")))

atexit.register(peak)
sys.argv[0] = "ledger"
runpy.run_module("cli.main", run_name="__main__")
"""
PEAK = re.compile(r"VmHWM:\s+(?P<kb>\d+) kB")
TIMEOUT_SECONDS = 1800


def peak_rss_mb(argv: Sequence[str], env: Mapping[str, str] | None = None) -> float:
    """The peak RSS (MB) of `ledger ARGV...`, its output thrown away; it must exit 0."""
    with tempfile.TemporaryFile("w+") as err:
        finished = subprocess.run(
            [sys.executable, "-c", PEAK_AT_EXIT, *argv],
            env=None if env is None else dict(env),
            stdout=subprocess.DEVNULL,
            stderr=err,
            timeout=TIMEOUT_SECONDS,
            check=False,
        )
        err.seek(0)
        logged = err.read()
    if finished.returncode:
        raise RuntimeError(f"ledger {' '.join(argv)} exited {finished.returncode}: {logged}")
    peak = PEAK.search(logged)
    if peak is None:
        raise RuntimeError(f"ledger {' '.join(argv)} did not report its peak RSS: {logged}")
    return int(peak["kb"]) / 1024


def peak_rss_row(
    row_id: str,
    what: str,
    command: Sequence[str],
    baseline: Sequence[str],
    baseline_what: str,
    *,
    over_baseline_mb: float,
    env: Mapping[str, str] | None = None,
    note: str = "",
) -> Row:
    """A row: the peak RSS of `ledger COMMAND...` beside that of `ledger BASELINE...`, with
    the target `figure <= baseline + over_baseline_mb`."""
    base = peak_rss_mb(baseline, env)
    figure = peak_rss_mb(command, env)
    return Row(
        row_id,
        what,
        figure,
        "MB",
        base,
        baseline_what,
        (Target(base + over_baseline_mb, at_least=False),),
        lower_is_better=True,
        note=f"{note}; target: the baseline + {over_baseline_mb:g} MB".lstrip("; "),
    )
