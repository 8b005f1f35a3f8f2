"""How long a test waits for what it polls (a log line, a row, a server that comes back).

Every poll returns as soon as its condition holds, so a generous bound costs a passing run
nothing; it only keeps a loaded machine (the suite beside another copy of itself, a CI box
at load 14) from failing a test that would have passed a moment later. Where the thing
awaited can say so itself (a line on a pipe, an event set by the code under test), wait on
that instead of polling, with PATIENCE as the bound.
"""

from __future__ import annotations

import time
from collections.abc import Callable

PATIENCE = 60.0  # seconds


def wait_until(condition: Callable[[], object], what: str, pause: float = 0.01) -> None:
    """Return as soon as `condition()` holds (looked at every `pause` seconds); fail, naming
    `what` was awaited, after PATIENCE."""
    deadline = time.monotonic() + PATIENCE
    while not condition():
        assert time.monotonic() < deadline, f"waited {PATIENCE:.0f} s for {what}"
        time.sleep(pause)
