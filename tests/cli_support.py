"""What the two ways of running the `ledger` CLI in a test share: the outcome of a run, the
arguments of a request, and the oracles that read the store directly.

tests/e2e/support.py runs the installed command in a process of its own (the lifecycle paths,
and what only a process shows: start-up, signals, crashes); tests/integration/in_process.py
runs the same click group in the test's process (the rules: refusals, statuses, output).
"""

from __future__ import annotations

import json
import os
from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from ledger.app.commands import RefundRequestIn
from ledger.bootstrap import bootstrap
from ledger.config import Settings
from ledger.domain.actor import Actor

#: A valid request with no goods coming back (verified at once), amount within auto-approval.
BASE_REQUEST: dict[str, str] = {
    "order": "O-1",
    "customer": "C-1",
    "amount": "30.00",
    "currency": "EUR",
    "order-total": "250.00",
    "reason": "billing_error",
    "actor": "agent:ann",
}


@dataclass(frozen=True)
class Outcome:
    """What one `ledger` run printed and how it exited."""

    args: tuple[str, ...]
    code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)

    def describe(self) -> str:
        return f"ledger {' '.join(self.args)} -> {self.code}\n{self.stdout}\n{self.stderr}"


def clean_env(**extra: str) -> dict[str, str]:
    """The caller's environment without any LEDGER_* setting, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEDGER_")}
    env["COLUMNS"] = "200"
    env.update(extra)
    return env


class LedgerCommands(ABC):
    """The `ledger` command bound to one database, run in a scratch working directory; how a
    run happens is the subclass's (`run`)."""

    def __init__(self, database_url: str, workdir: Path) -> None:
        self.database_url = database_url
        self.workdir = workdir

    @abstractmethod
    def run(
        self, *args: str, env: dict[str, str] | None = None, db: bool = True, fresh: bool = False
    ) -> Outcome:
        """Run `ledger [--db URL] ARGS...` in `env` (default `clean_env()`); never raises on a
        non-zero exit."""

    def ok(self, *args: str) -> Any:
        """Run with `--json`, require exit 0 and a clean stderr, return the parsed output."""
        outcome = self.run(*args, "--json")
        assert outcome.code == 0, outcome.describe()
        assert outcome.stderr == "", outcome.describe()
        return outcome.json()

    def request(self, *extra: str, **options: str | None) -> dict[str, Any]:
        """`ledger request` with BASE_REQUEST, options overridden (order_total -> --order-total)."""
        return dict(self.ok("request", *request_args(**options), *extra))

    def history(self, refund_id: str) -> list[dict[str, Any]]:
        return list(self.ok("history", refund_id))

    def show(self, refund_id: str) -> dict[str, Any]:
        return dict(self.ok("show", refund_id))


def request_args(**options: str | None) -> list[str]:
    """`--name=value` arguments of a request: BASE_REQUEST with `options` merged over it (an
    option given as None is left out)."""
    fields: dict[str, str | None] = dict(BASE_REQUEST)
    fields.update({key.replace("_", "-"): value for key, value in options.items()})
    return [f"--{key}={value}" for key, value in fields.items() if value is not None]


def stored_event_count(database_url: str) -> int:
    """How many events the store holds, on every aggregate (the oracle for "nothing stored")."""
    app = bootstrap(Settings(database_url=database_url)).ledger
    try:
        count, start = 0, 0
        while page := app.recorder.select_notifications(
            start=start, limit=1000, inclusive_of_start=False
        ):
            count += len(page)
            start = page[-1].id
        return count
    finally:
        app.close()


def one_error_line(stderr: str, says: str) -> None:
    """A refusal as the CLI words one: a single `error:` line that says `says`."""
    assert stderr.count("\n") == 1 and stderr.startswith("error: "), stderr
    assert says in stderr, stderr
    assert "Traceback" not in stderr


def parse_time(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    assert moment.utcoffset() == timedelta(0), f"{text} is not UTC"
    return moment


def days_ago(days: int) -> str:
    return (datetime.now(UTC).date() - timedelta(days=days)).isoformat()


def seed_pending_refund(database_url: str) -> str:
    """Store one refund waiting for approval (200.00 of order O-1's 250.00); return its id.

    Set up in-process: the tests that use it are about the command that follows.
    """
    form = RefundRequestIn.model_validate(
        dict(
            order_id="O-1",
            customer_id="C-1",
            amount="200.00",
            currency="EUR",
            order_total="250.00",
            reason="billing_error",
        )
    )
    app = bootstrap(Settings(database_url=database_url)).ledger
    try:
        refund = app.request(Actor.parse("agent:ann"), form)
        assert refund.status == "pending_approval"
        return str(refund.id)
    finally:
        app.close()


def types(history: list[dict[str, Any]]) -> list[str]:
    """The event types of a `history --json`, in order."""
    return [event["type"] for event in history]


def pending(ledger: LedgerCommands, amount: str = "200.00", **options: str) -> dict[str, Any]:
    """A request above the automatic-approval limit: it waits at the manager tier."""
    refund = ledger.request(amount=amount, **options)
    assert refund["status"] == "pending_approval", refund
    return refund


CAPTURE = ("--total", "48.00", "--currency", "EUR", "--actor", "system:shop")


def capture(ledger: LedgerCommands, order: str, customer: str, *extra: str) -> Any:
    """`ledger order capture` of a 48.00 EUR order, recorded by the shop."""
    return ledger.ok("order", "capture", "--order", order, "--customer", customer, *CAPTURE,
                     *extra)  # fmt: skip


def write_csv(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path
