"""Orders through the real CLI and the real HTTP server, on both back ends: captured from a
trusted source, read, imported from a file; and the walk-arounds of a customer who chooses
the facts the ledger guards, tried again and refused."""

from __future__ import annotations

import os
import pty
import stat
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from .http_paths import assert_problem, fresh, fresh_request, get, post
from .http_support import Server
from .support import LEDGER, TIMEOUT_SECONDS, Ledger, clean_env, days_ago, stored_event_count

CAPTURE = ("--total", "48.00", "--currency", "EUR", "--actor", "system:shop")


def capture(ledger: Ledger, order: str, customer: str, *extra: str) -> Any:
    return ledger.ok("order", "capture", "--order", order, "--customer", customer, *CAPTURE,
                     *extra)  # fmt: skip


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


def test_capturing_other_facts_for_a_known_order_names_the_field(ledger: Ledger) -> None:
    capture(ledger, "O-1", "C-1")
    stored = stored_event_count(ledger.database_url)

    out = ledger.run("order", "capture", "--order", "O-1", "--customer", "C-1", "--total",
                     "50.00", "--currency", "EUR", "--actor", "system:shop")  # fmt: skip

    assert out.code == 1, out.describe()
    assert out.stderr.strip() == (
        "error: order O-1 is recorded with order total 48.00 EUR, not 50.00; "
        "a request or capture cannot change an order's facts"
    )
    assert stored_event_count(ledger.database_url) == stored


def test_an_unknown_order_is_not_found(ledger: Ledger) -> None:
    out = ledger.run("order", "show", "O-404")

    assert (out.code, out.stderr.strip()) == (1, "error: order O-404 is not on record")


def test_a_customer_gets_one_refusal_for_an_unknown_order_and_another_customer_s(
    ledger: Ledger,
) -> None:
    capture(ledger, "O-1", "C-1")
    stored = stored_event_count(ledger.database_url)
    mine = {"customer": "mallory", "amount": "50.00", "order-total": "1000.00",
            "reason": "late_delivery", "actor": "customer:mallory"}  # fmt: skip

    unknown = ledger.run(*request_args(order="O-NONE", **mine))
    others = ledger.run(*request_args(order="O-1", **mine))

    assert unknown.code == others.code == 1
    assert unknown.stderr.replace("O-NONE", "ID") == others.stderr.replace("O-1", "ID")
    assert "48.00" not in others.stderr and "C-1" not in others.stderr
    assert stored_event_count(ledger.database_url) == stored
    assert ledger.ok("order", "show", "O-1")["refundable"] == "48.00"


def request_args(**options: str) -> list[str]:
    args = ["request"]
    for name, value in {"currency": "EUR", **options}.items():
        args += [f"--{name}", value]
    return args


def write_csv(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_order_import_records_a_file_once(ledger: Ledger, tmp_path: Path) -> None:
    orders = write_csv(
        tmp_path / "orders.csv",
        "\ufeffCurrency,ORDER_ID,Customer_Id,total,purchased_on,batch\n"
        "EUR,O-1,C-1,48.00,2025-01-02,b1\n"
        "\n"
        'USD,O-2,C-2,"1,5",,b1\n'.replace('"1,5"', "15.00")
        + "EUR,O-1,c-1,48.00,2025-01-02,b2\n",
    )

    first = ledger.ok("order", "import", str(orders), "--actor", "system:shop")
    stored = stored_event_count(ledger.database_url)
    again = ledger.ok("order", "import", str(orders), "--actor", "system:shop")

    assert {k: first[k] for k in ("rows", "new", "unchanged")} == {"rows": 3, "new": 2,
                                                                  "unchanged": 1}  # fmt: skip
    assert {k: again[k] for k in ("rows", "new", "unchanged")} == {"rows": 3, "new": 0,
                                                                  "unchanged": 3}  # fmt: skip
    assert stored_event_count(ledger.database_url) == stored
    assert ledger.ok("order", "show", "O-2")["total"] == "15.00"


def test_order_import_names_every_malformed_line_and_stores_nothing(
    ledger: Ledger, tmp_path: Path
) -> None:
    orders = write_csv(
        tmp_path / "orders.csv",
        "order_id,customer_id,total,currency\n"
        "O-1,C-1,48.00,EUR\n"
        "O-2,C-2,abc,EUR\n"
        "O-3,C-3,1.00,XXX\n"
        "O-4,C-4,1.00\n",
    )

    out = ledger.run("order", "import", str(orders), "--actor", "system:shop")

    assert out.code == 2, out.describe()
    assert out.stderr.startswith("error: 3 malformed row(s), nothing imported: line 3: ")
    assert "line 4: unknown currency 'XXX'" in out.stderr
    assert "line 5: has 3 field(s); the header has 4" in out.stderr
    assert stored_event_count(ledger.database_url) == 0


def test_order_import_refuses_a_row_contradicting_a_recorded_order(
    ledger: Ledger, tmp_path: Path
) -> None:
    capture(ledger, "O-1", "C-1")
    stored = stored_event_count(ledger.database_url)
    orders = write_csv(
        tmp_path / "orders.csv",
        "order_id,customer_id,total,currency\nO-2,C-2,10.00,EUR\nO-1,C-1,47.00,EUR\n",
    )

    out = ledger.run("order", "import", str(orders), "--actor", "system:shop")

    assert out.code == 1, out.describe()
    assert out.stderr.strip() == (
        "error: line 3: order O-1 is recorded with order total 48.00 EUR, not 47.00; "
        "a request or capture cannot change an order's facts; nothing imported"
    )
    assert stored_event_count(ledger.database_url) == stored


def test_order_import_refuses_rows_that_contradict_each_other(
    ledger: Ledger, tmp_path: Path
) -> None:
    orders = write_csv(
        tmp_path / "orders.csv",
        "order_id,customer_id,total,currency\nO-9,C-1,47.00,EUR\nO-9,C-1,48.00,EUR\n",
    )

    out = ledger.run("order", "import", str(orders), "--actor", "system:shop")

    assert out.code == 1, out.describe()
    assert "line 3: contradicts line 2: order O-9 is recorded with order total" in out.stderr
    assert stored_event_count(ledger.database_url) == 0


def test_order_import_refuses_what_is_not_a_regular_file(ledger: Ledger, tmp_path: Path) -> None:
    fifo = tmp_path / "orders.fifo"
    os.mkfifo(fifo)
    assert stat.S_ISFIFO(fifo.stat().st_mode)

    out = ledger.run("order", "import", str(fifo), "--actor", "system:shop")

    assert out.code == 2, out.describe()
    assert "Is a named pipe (FIFO), not a regular file" in out.stderr


def test_order_import_refuses_a_file_over_max_bytes(ledger: Ledger, tmp_path: Path) -> None:
    orders = write_csv(tmp_path / "o.csv", "order_id,customer_id,total,currency\nO,C,1.00,EUR\n")

    out = ledger.run("order", "import", str(orders), "--actor", "system:shop", "--max-bytes", "10")

    assert out.code == 2, out.describe()
    assert "over the limit of 10 bytes" in out.stderr


def test_order_import_needs_the_capture_permission(ledger: Ledger, tmp_path: Path) -> None:
    orders = write_csv(tmp_path / "o.csv", "order_id,customer_id,total,currency\nO,C,1.00,EUR\n")

    out = ledger.run("order", "import", str(orders), "--actor", "manager:bob")

    assert out.code == 1, out.describe()
    assert "manager:bob may not capture an order" in out.stderr


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
