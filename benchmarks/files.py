"""M1: the peak RSS of a command that reads a user's file, over a file of 1,000,000 rows.

M1: `ledger reconcile --settlements FILE --json > /dev/null`, a real process, over a settlement
file of 1,000,000 rows (quick: 5,000) against a SQLite ledger of 2,000 settled payouts (quick:
200), its views caught up beforehand. The file has a row for most of the ledger's payouts
(matched, with another amount, another currency, failed at the provider), a few duplicate
references and malformed rows, and mostly references the ledger does not know; the payouts it
leaves out are missing at the provider: every path of the reconciliation runs. Figure: the
process's VmHWM.
Baseline: the same command over a file holding only the header (the same modules loaded, the
same database opened and read, no rows). Target: within 60 MB of the baseline.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from benchmarks.data import AGENT, FINANCE, fill
from benchmarks.rss import peak_rss_row
from benchmarks.stack import Stack
from benchmarks.table import Row
from ledger.app.commands import RefundRequestIn
from ledger.app.service import RefundLedger
from ledger.bootstrap import bootstrap
from ledger.config import Settings
from ledger.projections.runner import Projections

PAYOUTS = 2000  # refunds of benchmarks.data.fill: 120.00 EUR each, settled as PSP-<n>
#: Payouts of 30.00 EUR beside those: (reference, settled), two failed, two sharing one.
ODD_PAYOUTS = (
    ("ODD-FAILED", False),
    ("ODD-FAILED-TOO", False),
    ("ODD-SHARED", True),
    ("ODD-SHARED", True),
)
#: The file's rows on them (the first rows of the file): failed_in_ledger, failed_in_both,
#: duplicate_in_ledger.
ODD_ROWS = (
    "ODD-FAILED,30.00,EUR,settled,2026-11-01T10:00:00Z,0.10\r\n",
    "ODD-FAILED-TOO,30.00,EUR,failed,,0.10\r\n",
    "ODD-SHARED,30.00,EUR,settled,2026-11-01T10:00:00Z,0.10\r\n",
)
OVER_BASELINE_MB = 60
#: What the file says of a payout, by its number modulo 10 (the others match).
ON_PAYOUT = {
    0: ("121.00", "EUR", "settled"),  # amount_mismatch
    1: ("120.00", "USD", "settled"),  # currency_mismatch
    2: ("120.00", "EUR", "failed"),  # failed_at_provider
}
HEADER = "Reference,Amount,Currency,Status,Settled_At,Fee\r\n"


def run(stack: Stack) -> Iterator[Row]:
    rows = stack.size(1_000_000, 5_000)
    payouts = stack.size(PAYOUTS, 200)
    env = {**os.environ, "LEDGER_DATABASE_URL": _ledger(stack, payouts)}
    file = settlement_file(stack.scratch / f"settlements-{rows}.csv", rows, payouts)
    empty = stack.scratch / "settlements-header.csv"
    empty.write_text(HEADER, encoding="utf-8", newline="")
    size_mb = file.stat().st_size / 1e6
    yield peak_rss_row(
        "M1",
        f"peak RSS, reconcile of {rows:,} settlement rows",
        ("reconcile", "--settlements", str(file), "--json"),
        ("reconcile", "--settlements", str(empty), "--json"),
        "the same, header-only file",
        over_baseline_mb=OVER_BASELINE_MB,
        env=env,
        note=f"`ledger reconcile --settlements FILE --json > /dev/null`, a {size_mb:.1f} MB "
        f"file, {payouts:,} payouts in the ledger",
    )


def _ledger(stack: Stack, payouts: int) -> str:
    url = stack.sqlite("reconcile")
    app = bootstrap(Settings(database_url=url)).ledger
    try:
        fill(app, payouts)
        for n, (reference, settled) in enumerate(ODD_PAYOUTS):
            _pay(app, n, reference, settled)
        Projections(app).catch_up()
    finally:
        app.close()
    return url


def _pay(app: RefundLedger, n: int, reference: str, settled: bool) -> None:
    form = dict(order_id=f"ODD-{n}", customer_id=f"C-ODD-{n}", amount="30.00",
                       currency="EUR", order_total="100.00", reason="billing_error")  # fmt: skip
    refund = app.request(AGENT, RefundRequestIn.model_validate(form))
    app.start_payout(refund.id, FINANCE, None)
    if settled:
        app.settle_payout(refund.id, FINANCE, reference)
    else:
        app.fail_payout(refund.id, FINANCE, "account closed", reference)


def settlement_file(path: Path, rows: int, payouts: int) -> Path:
    """`rows` rows: the ledger's `payouts` spread through the file, the rest unknown to it."""
    every = max(1, rows // payouts)
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(HEADER)
        out.writelines(ODD_ROWS)
        for n in range(rows - len(ODD_ROWS)):
            out.write(_row(n, every, payouts))
    return path


def _row(n: int, every: int, payouts: int) -> str:
    at = "2026-11-01T10:00:00Z"
    payout, on_payout = divmod(n, every)
    if on_payout == 0 and payout < payouts and payout % 20 != 19:  # 1 in 20: missing
        amount, currency, status = ON_PAYOUT.get(payout % 10, ("120.00", "EUR", "settled"))
        return f"PSP-{payout},{amount},{currency},{status},{at},0.10\r\n"
    if n % 997 == 1:
        return f"BANK-{n},12.3.4,EUR,settled,{at},0.10\r\n"  # malformed amount
    if n % 1009 == 2:
        return f"BANK-{n - 1},5.00,EUR,settled,{at},0.10\r\n"  # the line before's reference
    return f"BANK-{n},{n % 9000 + 1}.{n % 100:02d},EUR,settled,{at},0.10\r\n"
