"""A `ledger` process killed in the middle of its work, and the load that gives it work."""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Callable

from waiting import wait_until

from ledger.bootstrap import bootstrap
from ledger.config import Settings
from ledger.domain.actor import Actor

from .support import LEDGER, Ledger, clean_env
from integration.support import form

AGENT, MANAGER = Actor.parse("agent:alice"), Actor.parse("manager:mo")


def seed(url: str, refunds: int) -> None:
    """`refunds` requests in-process, every other one approved by a manager (many events)."""
    app = bootstrap(Settings(database_url=url)).ledger
    try:
        for n in range(refunds):
            amount = "80.00" if n % 2 else "20.00"  # above 50.00 waits for a manager
            refund = app.request(
                AGENT, form(order_id=f"O-{n}", customer_id=f"C-{n}", amount=amount)
            )
            if n % 4 == 1:
                app.approve(refund.id, MANAGER, None, None)
    finally:
        app.close()


def kill_when(ledger: Ledger, args: list[str], until: Callable[[], bool], what: str) -> None:
    """Start `ledger --db URL ARGS` as a process of its own and SIGKILL it once `until()`."""
    process = subprocess.Popen(
        [*LEDGER, "--db", ledger.database_url, *args],
        cwd=ledger.workdir,
        env=clean_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until(until, what, 0.02)
    finally:
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
