"""M2: the peak RSS of `ledger order import` over a file of 1,000,000 orders.

M2: `ledger order import FILE --actor system:shop --json > /dev/null`, a real process, into a
fresh SQLite ledger, over an order file of 1,000,000 rows (quick: 5,000): new orders, some
with a purchase date and an address, and every 50th row repeating an earlier row's order (the
same facts, in another case). Both passes run: every row checked, then every row recorded.
Figure: the process's VmHWM. Baseline: the same command over a file holding only the header
(the same modules loaded, the same database opened, no rows). Target: within 60 MB of the
baseline.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from benchmarks.rss import peak_rss_row
from benchmarks.stack import Stack
from benchmarks.table import Row

OVER_BASELINE_MB = 60
HEADER = "Order_Id,Customer_Id,Total,Currency,Purchased_On,Address,Channel\r\n"
IMPORT = ("order", "import", "--actor", "system:shop", "--json")


def run(stack: Stack) -> Iterator[Row]:
    rows = stack.size(1_000_000, 5_000)
    file = order_file(stack.scratch / f"orders-{rows}.csv", rows)
    empty = stack.scratch / "orders-header.csv"
    empty.write_text(HEADER, encoding="utf-8", newline="")
    size_mb = file.stat().st_size / 1e6
    yield peak_rss_row(
        "M2",
        f"peak RSS, order import of {rows:,} rows",
        (*IMPORT, str(file)),
        (*IMPORT, str(empty)),
        "the same, header-only file",
        over_baseline_mb=OVER_BASELINE_MB,
        env={**os.environ, "LEDGER_DATABASE_URL": stack.sqlite("orders")},
        note=f"`ledger order import FILE --json > /dev/null`, a {size_mb:.1f} MB file, "
        "into a fresh SQLite ledger",
    )


def order_file(path: Path, rows: int) -> Path:
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(HEADER)
        for n in range(rows):
            out.write(_row(n))
    return path


def _row(n: int) -> str:
    order = n - 25 if n % 50 == 49 else n  # a repeat of an earlier row: the same facts
    customer = f"c-{order % 40_000}" if order != n else f"C-{order % 40_000}"
    total = f"{order % 900 + 10}.{order % 100:02d}"
    bought = f"2026-{order % 12 + 1:02d}-{order % 28 + 1:02d}" if order % 3 else ""
    address = f'"{order % 500} Mill Road, Leeds"' if order % 4 == 0 else ""
    return f"O-{order},{customer},{total},EUR,{bought},{address},web\r\n"
