"""`order import`: the facts of many orders from a file, all or nothing, in flat memory.

Two passes over the rows. The first checks every row (each field, each row against earlier
rows of the file with the same order id, each order against the one on record) and stores
nothing: a malformed row refuses the file naming every bad line (exit 2), a row that
contradicts a recorded order or an earlier row refuses it naming that row (exit 1). The
second records the rows a batch at a time, one transaction per batch. A capture by someone
else between the two passes that contradicts a row stops the import at that row's batch;
the batches before it stay recorded, and importing the file again completes it, since rows
already on record change nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from typing import TYPE_CHECKING

from eventsourcing.persistence import IntegrityError

from ledger.app.order_scratch import seen_orders
from ledger.app.orders import OrderCapture
from ledger.app.retry import attempts
from ledger.domain.actor import Actor
from ledger.domain.errors import (
    ConcurrencyConflict,
    InvalidInput,
    OrderMismatch,
)
from ledger.domain.order import DECLARED, OrderBalance, OrderFacts
from ledger.input_files.csv_rows import BadRecord, Columns, Record

if TYPE_CHECKING:
    from ledger.app.service import RefundLedger

COLUMNS = Columns(
    required=("order_id", "customer_id", "total", "currency"),
    optional=("purchased_on", "address"),
)
BATCH = 500


Row = Record | BadRecord
Rows = Callable[[], Iterable[Row]]  # called once per pass: each call reads the file anew


class MalformedOrders(InvalidInput):
    code = "malformed-orders"

    def __init__(self, problems: list[BadRecord]) -> None:
        listed = "; ".join(f"line {p.line}: {p.reason}" for p in problems)
        super().__init__(f"{len(problems)} malformed row(s), nothing imported: {listed}")


class ContradictedOrder(OrderMismatch):
    def __init__(self, line: int, why: str, imported: int = 0) -> None:
        done = (
            f"; the {imported} rows before it were imported (importing the file again completes it)"
            if imported
            else "; nothing imported"
        )
        super().__init__(f"line {line}: {why}{done}")


@dataclass
class ImportSummary:
    rows: int = 0
    new: int = 0
    confirmed: int = 0
    unchanged: int = 0

    def as_json(self) -> dict[str, int]:
        return {
            "rows": self.rows,
            "new": self.new,
            "confirmed": self.confirmed,
            "unchanged": self.unchanged,
        }


Progress = Callable[[int, int], None]  # (rows recorded so far, rows in the file)


def import_orders(
    app: RefundLedger, actor: Actor, rows: Rows, progress: Progress | None = None
) -> ImportSummary:
    """Check every row, then record them; see the module's docstring."""
    actor.require_acting()
    OrderBalance.check_capturer(actor, app.policy)
    total = _check(app, actor, rows())
    summary = ImportSummary()
    for batch in _batches(_parsed(rows())):
        _record(app, actor, batch, summary)
        if progress is not None:
            progress(summary.rows, total)
    return summary


def _check(app: RefundLedger, actor: Actor, rows: Iterable[Row]) -> int:
    """Read every row: name every malformed one (exit 2), else the first contradiction;
    return how many rows there are."""
    malformed: list[BadRecord] = []
    contradiction: ContradictedOrder | None = None
    count = 0
    with seen_orders() as seen:
        for batch in _batches(_checked(rows, malformed)):
            count += len(batch)
            if contradiction is not None:
                continue  # the rest is still read, for its malformed rows
            try:
                for line, order in batch:
                    earlier = seen.first(order.order_id, line, _facts_json(order.facts))
                    if earlier is not None:
                        _agrees_with_row(order, line, *earlier, actor, app)
                if not malformed:  # a file that will be refused anyway needs no look-ups
                    _agrees_with_store(app, actor, batch)
            except ContradictedOrder as found:
                contradiction = found
    if malformed:
        raise MalformedOrders(malformed)
    if contradiction is not None:
        raise contradiction
    return count


def _checked(rows: Iterable[Row], malformed: list[BadRecord]) -> Iterator[tuple[int, OrderCapture]]:
    for row in rows:
        if isinstance(row, BadRecord):
            malformed.append(row)
            continue
        try:
            yield row.line, OrderCapture.parse(**row.fields)
        except InvalidInput as error:
            malformed.append(BadRecord(row.line, error.message))


def _agrees_with_row(
    order: OrderCapture, line: int, first_line: int, first: str, actor: Actor, app: RefundLedger
) -> None:
    facts = OrderFacts.model_validate_json(first)
    earlier = OrderBalance.record(order.order_id, facts, actor, DECLARED, app.clock())
    try:
        earlier.capture(order.facts, actor, app.policy, app.clock())
    except OrderMismatch as error:
        raise ContradictedOrder(line, f"contradicts line {first_line}: {error.message}") from None


def _agrees_with_store(
    app: RefundLedger, actor: Actor, batch: list[tuple[int, OrderCapture]]
) -> None:
    found = app.find_orders(sorted({order.order_id for _, order in batch}))
    at = app.clock()
    for line, order in batch:
        recorded = found.get(order.order_id)
        if recorded is None:
            continue
        try:  # on the loaded copy only: nothing is saved in this pass
            recorded.capture(order.facts, actor, app.policy, at)
        except OrderMismatch as error:
            raise ContradictedOrder(line, error.message) from None


def _parsed(rows: Iterable[Row]) -> Iterator[tuple[int, OrderCapture]]:
    for row in rows:
        if isinstance(row, BadRecord):  # the file changed since it was checked
            raise MalformedOrders([row])
        yield row.line, OrderCapture.parse(**row.fields)


def _record(
    app: RefundLedger, actor: Actor, batch: list[tuple[int, OrderCapture]], summary: ImportSummary
) -> None:
    """One batch in one transaction; on a conflict with another writer, all over again."""
    for attempt in attempts():
        at = app.clock()
        found = app.find_orders(sorted({order.order_id for _, order in batch}))
        changed: dict[str, OrderBalance] = {}
        counts = ImportSummary()
        for line, order in batch:
            counts.rows += 1
            recorded = changed.get(order.order_id) or found.get(order.order_id)
            try:
                if recorded is None:
                    changed[order.order_id] = OrderBalance.captured(
                        order.order_id, order.facts, actor, app.policy, at
                    )
                    counts.new += 1
                elif recorded.capture(order.facts, actor, app.policy, at):
                    changed[order.order_id] = recorded
                    counts.confirmed += 1
                else:
                    counts.unchanged += 1
            except OrderMismatch as error:
                raise ContradictedOrder(line, error.message, summary.rows) from None
        try:
            app.save(*changed.values())
        except IntegrityError:
            attempt.failed()
            continue
        summary.rows += counts.rows
        summary.new += counts.new
        summary.confirmed += counts.confirmed
        summary.unchanged += counts.unchanged
        return
    raise ConcurrencyConflict("the orders of this file")


def _batches(items: Iterable[tuple[int, OrderCapture]]) -> Iterator[list[tuple[int, OrderCapture]]]:
    iterator = iter(items)
    while batch := list(islice(iterator, BATCH)):
        yield batch


def _facts_json(facts: OrderFacts) -> str:
    return json.dumps(facts.model_dump(mode="json"), sort_keys=True)
