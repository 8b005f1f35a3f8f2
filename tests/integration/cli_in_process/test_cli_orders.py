"""Orders through the `ledger` CLI run in-process, on both back ends: a known order's facts,
imports from a file (once, and refused whole when a line is wrong), and the walk-arounds of a
customer who chooses the facts the ledger guards, tried and refused. The capture itself, the
terminal's progress bar and the HTTP routes run for real in tests/e2e/test_orders.py."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from cli_support import capture, stored_event_count, write_csv

from ..in_process import Ledger


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
