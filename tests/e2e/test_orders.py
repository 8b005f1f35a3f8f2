"""Orders through the real CLI and the real HTTP server, on both back ends: captured from a
trusted source and read, imported with a progress bar on a terminal; and over HTTP, the
walk-arounds of a customer who chooses the facts the ledger guards, tried and refused. The
CLI's rules about orders run in-process in tests/integration/cli_in_process/."""

from __future__ import annotations

import os
import pty
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from cli_support import capture, write_csv

from .http_paths import assert_problem, fresh, fresh_request, get, post
from .http_support import Server
from .support import LEDGER, TIMEOUT_SECONDS, Ledger, clean_env, days_ago


def test_order_capture_and_show_give_the_order_s_facts(ledger: Ledger) -> None:
    bought = days_ago(3)
    captured = capture(ledger, "O-1", "C-1", "--purchased-on", bought)
    refund = ledger.request(order="O-1", customer="C-1", amount="10.00", order_total=None)

    shown = ledger.ok("order", "show", "O-1")

    assert captured["refundable"] == "48.00"
    assert shown["refundable"] == "38.00"
    assert shown["refunds"] == [refund["id"]]
    assert {k: shown[k] for k in ("order_id", "customer_id", "total", "currency")} == {
        "order_id": "O-1",
        "customer_id": "C-1",
        "total": "48.00",
        "currency": "EUR",
    }
    assert (shown["purchased_on"], shown["recorded_by"], shown["source"]) == (
        bought,
        "system:shop",
        "captured",
    )


# --- HTTP ---


@pytest.fixture
def server(http_server: Server) -> Server:
    return http_server


@pytest.fixture
def clients(server: Server) -> Iterator[dict[str, httpx.Client]]:
    made: dict[str, httpx.Client] = {}

    class Clients(dict[str, httpx.Client]):
        def __missing__(self, actor: str) -> httpx.Client:
            made[actor] = self[actor] = server.client(actor)
            return made[actor]

    yield Clients()
    for client in made.values():
        client.close()


def test_post_orders_records_an_order_once(clients: dict[str, httpx.Client]) -> None:
    order = {"order_id": fresh("O"), "customer_id": fresh("C"), "total": "48.00",
             "currency": "EUR", "purchased_on": "2025-01-02"}  # fmt: skip
    shop = clients["system:shop"]

    created = shop.post("/orders", json=order)
    again = shop.post("/orders", json=order)
    changed = shop.post("/orders", json={**order, "total": "50.00"})

    assert created.status_code == 201 and again.status_code == 200, created.text
    assert created.headers["location"] == f"/orders/{order['order_id']}"
    assert created.json() == again.json()
    body = assert_problem(changed, 422, "order-mismatch")
    assert "order total 48.00 EUR, not 50.00" in body["detail"]
    assert get(shop, f"/orders/{order['order_id']}")["refundable"] == "48.00"


def test_a_customer_reads_only_their_own_orders(clients: dict[str, httpx.Client]) -> None:
    owner = fresh("c")
    order = {"order_id": fresh("O"), "customer_id": owner, "total": "48.00", "currency": "EUR"}
    post(clients["system:shop"], "/orders", order, 201)

    mine = get(clients[f"customer:{owner}"], f"/orders/{order['order_id']}")
    others = clients["customer:mallory"].get(f"/orders/{order['order_id']}")
    unknown = clients["customer:mallory"].get("/orders/O-NONE")

    assert mine["total"] == "48.00" and mine["recorded_by"] == "system"
    other, none = (
        assert_problem(others, 404, "order-not-found"),
        assert_problem(unknown, 404, "order-not-found"),
    )
    assert other["detail"].replace(order["order_id"], "ID") == none["detail"].replace(
        "O-NONE", "ID"
    )


def test_a_customer_cannot_choose_an_order_s_facts_over_http(
    clients: dict[str, httpx.Client], server: Server
) -> None:
    victim = fresh("c")
    order = {"order_id": fresh("O"), "customer_id": victim, "total": "48.00", "currency": "EUR"}
    post(clients["system:shop"], "/orders", order, 201)
    mallory = clients["customer:mallory"]
    body = {**fresh_request(), "customer_id": "mallory", "amount": "50.00",
            "order_total": "1000.00", "reason": "late_delivery"}  # fmt: skip

    unknown = mallory.post("/refunds", json=body)
    others = mallory.post("/refunds", json={**body, "order_id": order["order_id"]})

    first = assert_problem(unknown, 404, "order-not-found")
    second = assert_problem(others, 404, "order-not-found")
    assert first["detail"].replace(body["order_id"], "ID") == second["detail"].replace(
        order["order_id"], "ID"
    )
    assert "48.00" not in others.text and victim not in others.text
    assert get(clients["system:shop"], f"/orders/{order['order_id']}")["refunds"] == []
    listed = get(clients["agent:ann"], "/refunds", customer="mallory")
    assert listed == []


def test_order_import_shows_a_progress_bar_on_a_terminal(ledger: Ledger, tmp_path: Path) -> None:
    orders = write_csv(
        tmp_path / "orders.csv",
        "order_id,customer_id,total,currency\n"
        + "".join(f"O-{n},C-{n},10.00,EUR\n" for n in range(1200)),
    )
    leader, follower = pty.openpty()
    shown: list[bytes] = []
    reader = threading.Thread(target=_drain, args=(leader, shown), daemon=True)
    reader.start()  # read as it comes, so that a full terminal buffer never blocks the writer
    try:
        finished = subprocess.run(
            [*LEDGER, "--db", ledger.database_url, "order", "import", str(orders), "--actor",
             "system:shop"],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=follower,
            env=clean_env(TERM="xterm"), timeout=TIMEOUT_SECONDS, check=False, text=True,
        )  # fmt: skip
    finally:
        os.close(follower)  # the reader then sees the end of the terminal's output
        reader.join(timeout=TIMEOUT_SECONDS)
        os.close(leader)
    terminal = b"".join(shown).decode("utf-8", "replace")

    assert finished.returncode == 0, terminal
    assert finished.stdout.startswith("imported ")
    assert "recording orders" in terminal


def _drain(fd: int, into: list[bytes]) -> None:
    """Everything written to the terminal, until its last writer closes it."""
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # EIO: every writer closed its side
            return
        if not chunk:
            return
        into.append(chunk)
