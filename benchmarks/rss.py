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
from dataclasses import dataclass

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


@dataclass(frozen=True)
class Measured:
    """What a measured `ledger` process printed (when kept) and its peak RSS in MB."""

    output: str
    peak_mb: float


def run_measured(
    argv: Sequence[str],
    env: Mapping[str, str] | None = None,
    *,
    keep_output: bool = False,
    timeout: float = TIMEOUT_SECONDS,
) -> Measured:
    """Run `ledger ARGV...` (it must exit 0) and return its peak RSS, and its standard output
    if `keep_output` (otherwise it is thrown away)."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        try:
            finished = subprocess.run(
                [sys.executable, "-c", PEAK_AT_EXIT, *argv],
                env=None if env is None else dict(env),
                stdout=out if keep_output else subprocess.DEVNULL,
                stderr=err,
                timeout=timeout,
                check=False,
            )
        finally:
            out.seek(0)
            err.seek(0)
            said, logged = out.read(), err.read()
    if finished.returncode:
        raise RuntimeError(f"ledger {' '.join(argv)} exited {finished.returncode}: {logged}")
    peak = PEAK.search(logged)
    if peak is None:
        raise RuntimeError(f"ledger {' '.join(argv)} did not report its peak RSS: {logged}")
    return Measured(said, int(peak["kb"]) / 1024)


def peak_rss_mb(argv: Sequence[str], env: Mapping[str, str] | None = None) -> float:
    """The peak RSS (MB) of `ledger ARGV...`, its output thrown away; it must exit 0."""
    return run_measured(argv, env).peak_mb


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
