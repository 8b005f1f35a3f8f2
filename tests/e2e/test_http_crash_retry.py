"""A server killed between a command's commit and its answer (issue 13): the retry with the
same Idempotency-Key, on a restarted server, answers the first result and runs nothing again,
on every command route and on POST /orders.

The test hook LEDGER_TEST_PAUSE_AFTER_COMMIT holds every keyed answer after its commit; the
test sends one command of each kind at once, waits until every one of them has committed
(`paused after commit` in the log), and SIGKILLs the server. No answer was sent, none was kept
by the idempotency layer; only the application's own record of each key survives.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
import pytest

from api.idempotency import PAUSED
from ledger.app.commands import RefundRequestIn
from ledger.app.service import RefundLedger
from ledger.bootstrap import bootstrap
from ledger.config import Settings
from ledger.domain.actor import Actor

from .http_support import Server, last_event_id, running_server

AGENT, VERIFIER, MANAGER = "agent:ann", "verifier:vic", "manager:bob"
FINANCE, DISPUTES = "finance:fay", "disputes:dora"
TODAY = datetime.now(UTC).date().isoformat()
WAIT_SECONDS = 60


def form(order: str, amount: str = "30.00", reason: str = "billing_error") -> RefundRequestIn:
    return RefundRequestIn.model_validate(
        dict(
            order_id=order,
            customer_id=f"C-{order}",  # one refund a customer: no velocity flags
            amount=amount,
            currency="EUR",
            order_total="1000.00",
            reason=reason,
            purchased_on=TODAY,
        )
    )


@dataclass(frozen=True)
class Command:
    """One keyed command: who sends it, where, with what; the event it stores; its status."""

    actor: str
    path: str
    body: dict[str, Any]
    event: str
    status: int = 200


def prepare(app: RefundLedger) -> dict[str, Command]:
    """A refund in the state each command needs, made straight through the application."""

    def made(order: str, amount: str = "30.00", reason: str = "billing_error") -> UUID:
        return app.request(Actor.parse(AGENT), form(order, amount, reason)).id

    def path(refund_id: UUID, tail: str) -> str:
        return f"/refunds/{refund_id}/{tail}"

    goods, pending = made("O-goods", reason="damaged"), made("O-pending", "80.00")
    approved, paying, noted = made("O-approved"), made("O-paying"), made("O-noted")
    app.start_payout(paying, Actor.parse(FINANCE), None)
    rejected, disputed = made("O-rejected", "80.00"), made("O-disputed", "80.00")
    for refund_id in (rejected, disputed):
        app.reject(refund_id, Actor.parse(MANAGER), "no proof")
    app.open_dispute(disputed, Actor.parse(AGENT), "the proof arrived")
    request = {
        "order_id": "O-new",
        "customer_id": "C-O-new",
        "amount": "30.00",
        "currency": "EUR",
        "order_total": "1000.00",
        "reason": "billing_error",
        "purchased_on": TODAY,
    }
    order = {
        "order_id": "O-captured",
        "customer_id": "C-O-captured",
        "total": "48.00",
        "currency": "EUR",
        "purchased_on": TODAY,
    }
    return {
        "request": Command(AGENT, "/refunds", request, "Requested", 201),
        "order capture": Command(AGENT, "/orders", order, "Recorded", 201),
        "verify": Command(
            VERIFIER, path(goods, "verification"), {"condition": "as new"}, "Verified"
        ),
        "approve": Command(MANAGER, path(pending, "approvals"), {"note": "ok"}, "Approved"),
        "note": Command(MANAGER, path(noted, "notes"), {"text": "called"}, "NoteAdded"),
        "payout start": Command(FINANCE, path(approved, "payouts"), {}, "PayoutStarted"),
        "payout settle": Command(
            FINANCE, path(paying, "payouts/settlement"), {"reference": "PSP-1"}, "PayoutSettled"
        ),
        "dispute open": Command(
            AGENT, path(rejected, "disputes"), {"reason": "proof"}, "DisputeOpened"
        ),
        "dispute resolve": Command(
            DISPUTES,
            path(disputed, "disputes/resolution"),
            {"outcome": "overturned", "amount": "80.00", "rationale": "proof ok"},
            "DisputeResolved",
        ),
    }


def send_and_kill(server: Server, commands: dict[str, Command]) -> None:
    """Send every command with its key at once; SIGKILL the server once all have committed."""

    def send(name: str, command: Command) -> None:
        try:
            with server.client(command.actor) as client:
                client.post(command.path, json=command.body, headers={"Idempotency-Key": name})
        except httpx.TransportError:
            pass  # the server was killed before it answered: that is the point

    senders = [
        threading.Thread(target=send, args=(key(name), command))
        for name, command in commands.items()
    ]
    for sender in senders:
        sender.start()
    log = server.wait_for_log(lambda text: text.count(PAUSED) >= len(commands))
    assert log.count(PAUSED) == len(commands), f"not all committed:\n{log}"
    server.process.kill()
    server.process.wait()
    for sender in senders:
        sender.join(WAIT_SECONDS)


def key(name: str) -> str:
    return "crash-" + name.replace(" ", "-")


def history_of(client: httpx.Client, location: str) -> list[dict[str, Any]]:
    answer = client.get(f"{location}/history")
    assert answer.status_code == 200, answer.text
    found: list[dict[str, Any]] = answer.json()
    return found


def test_a_retry_after_a_crash_between_commit_and_answer_returns_the_first_result(
    database_url: str, tmp_path: Path
) -> None:
    app = bootstrap(Settings(database_url=database_url)).ledger
    try:
        commands = prepare(app)
    finally:
        app.close()
    hooked = {"LEDGER_TEST_PAUSE_AFTER_COMMIT": str(WAIT_SECONDS)}
    with running_server(database_url, tmp_path, env=hooked) as server:
        send_and_kill(server, commands)

    with running_server(database_url, tmp_path) as server:
        for name, command in commands.items():
            with server.client(command.actor) as client:
                first, second = (
                    client.post(
                        command.path, json=command.body, headers={"Idempotency-Key": key(name)}
                    )
                    for _ in range(2)
                )
                assert first.status_code == command.status, f"{name}: {first.text}"
                assert first.headers["idempotent-replayed"] == "true", name
                assert (second.status_code, second.content) == (first.status_code, first.content)
            with server.client(MANAGER) as reader:
                stored_once(reader, name, command, first.json())


def stored_once(reader: httpx.Client, name: str, command: Command, first: dict[str, Any]) -> None:
    """The command's event is stored once, and the first answer shows what it left."""
    if command.path == "/orders":  # an order's first capture is its version 1
        order = reader.get(f"/orders/{first['order_id']}")
        assert order.status_code == 200, order.text
        assert first["version"] == order.json()["version"] == 1, name
        return
    events = history_of(reader, f"/refunds/{first['id']}")
    stored = [e for e in events if e["type"] == command.event]
    assert len(stored) == 1, f"{name}: {[e['type'] for e in events]}"
    assert first["version"] == events[-1]["version"], name  # as the command left it


@pytest.mark.parametrize("name", ["note"])
def test_the_same_key_with_other_content_after_a_crash_is_refused(
    database_url: str, tmp_path: Path, name: str
) -> None:
    app = bootstrap(Settings(database_url=database_url)).ledger
    try:
        command = prepare(app)[name]
    finally:
        app.close()
    hooked = {"LEDGER_TEST_PAUSE_AFTER_COMMIT": str(WAIT_SECONDS)}
    with running_server(database_url, tmp_path, env=hooked) as server:
        send_and_kill(server, {name: command})

    with running_server(database_url, tmp_path) as server, server.client(command.actor) as client:
        stored = last_event_id(database_url)
        other = client.post(
            command.path, json={"text": "something else"}, headers={"Idempotency-Key": key(name)}
        )
        assert other.status_code == 409, other.text
        assert other.json()["code"] in ("idempotency-key-reused", "idempotency-conflict")
        assert last_event_id(database_url) == stored
