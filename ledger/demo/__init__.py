"""`ledger demo`: a realistic month of refunds on a simulated clock, then a short tour.

The stories (`ledger.demo.stories`, `ledger.demo.cast`) act through the application's
commands only, so the store holds exactly what real use would have written. Ids carry a random
run tag: the demo can run any number of times on the same database.
"""

from __future__ import annotations

import heapq
import random
import secrets
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from ledger.demo.cast import FREQUENT_CUSTOMER, ROUTINE, Demo, Story, customer_id, routine
from ledger.demo.stories import STORIES
from ledger.domain.vocabulary import STATUSES

if TYPE_CHECKING:
    from ledger.app.service import Clock, RefundLedger

DAYS = 30


class SimulatedClock:
    """A clock the demo moves forward by hand; callable like `utc_now`."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


@dataclass(frozen=True)
class DemoSummary:
    """What one demo run wrote: counts per status and one refund id per lifecycle path."""

    tag: str
    started_at: datetime
    ended_at: datetime
    customers: tuple[str, ...]
    orders: tuple[str, ...]
    refund_ids: tuple[str, ...]
    statuses: dict[str, int]
    paths: dict[str, str]
    order_of: dict[str, str]
    moments: dict[str, datetime] = field(default_factory=dict)

    @property
    def refunds(self) -> int:
        return len(self.refund_ids)


def run_demo(make_app: Callable[[Clock], RefundLedger], echo: Callable[[str], None]) -> DemoSummary:
    """Fill the store behind `make_app` with a month of refunds ending now; print a tour."""
    end = datetime.now(UTC).replace(microsecond=0)
    # Day offsets in the stories count from 07:00 UTC, so most work lands in office hours.
    start = (end - timedelta(days=DAYS)).replace(hour=7, minute=0, second=0)
    clock = SimulatedClock(start)
    tag = secrets.token_hex(2).upper()
    app = make_app(clock)
    try:
        demo = Demo(app, clock, tag)
        _play(_stories(demo), clock, end, random.Random(tag))
        summary = _summarize(demo, start, end)
    finally:
        app.close()
    for line in report(summary):
        echo(line)
    return summary


def _stories(demo: Demo) -> list[tuple[float, Story]]:
    stories = [(day, story(demo)) for day, story in STORIES]
    stories += [(row[0], routine(demo, *row[1:])) for row in ROUTINE]
    return stories


def _play(
    stories: list[tuple[float, Story]], clock: SimulatedClock, end: datetime, rng: random.Random
) -> None:
    """Run the stories interleaved in time order, so every timestamp moves forward."""
    start = clock.now
    queue = [
        (start + timedelta(days=day, seconds=rng.randint(0, 3000)), index, story)
        for index, (day, story) in enumerate(stories)
    ]
    heapq.heapify(queue)
    while queue:
        when, index, story = heapq.heappop(queue)
        clock.now = max(clock.now, min(when, end))
        hours = next(story, None)
        if hours is not None:
            wait = timedelta(hours=hours, seconds=rng.randint(60, 2700))
            heapq.heappush(queue, (clock.now + wait, index, story))


def _summarize(demo: Demo, start: datetime, end: datetime) -> DemoSummary:
    counts = Counter(demo.app.get(refund_id).status for refund_id in demo.refunds)
    return DemoSummary(
        tag=demo.tag,
        started_at=start,
        ended_at=end,
        customers=tuple(sorted({demo.app.get(r).request.customer_id for r in demo.refunds})),
        orders=tuple(demo.orders),
        refund_ids=tuple(str(r) for r in demo.refunds),
        statuses={status: counts[status] for status in STATUSES if counts[status]},
        paths={path: str(refund_id) for path, refund_id in demo.paths.items()},
        order_of={str(refund_id): order for refund_id, order in demo.order_of.items()},
        moments=dict(demo.moments),
    )


def report(summary: DemoSummary) -> list[str]:
    """The summary and the tour: commands to try next, with this run's real ids."""
    days = f"{summary.started_at:%Y-%m-%d} to {summary.ended_at:%Y-%m-%d}"
    counts = ", ".join(f"{n} {status}" for status, n in summary.statuses.items())
    lines = [
        f"Demo run {summary.tag}: {summary.refunds} refunds for {len(summary.customers)} "
        f"customers on {len(summary.orders)} orders, {days}.",
        f"  {counts}",
        "",
        "Take the tour (in a checkout prefix each command with ./dev; add --db URL if you",
        "gave one to the demo):",
    ]
    for why, command in tour(summary):
        lines += [f"  # {why}", f"  ledger {command}"]
    return lines


def tour(summary: DemoSummary) -> list[tuple[str, str]]:
    """(why, command) pairs, one per interesting path of this run."""
    p = summary.paths
    as_of = summary.moments["paid_in_part"].isoformat().replace("+00:00", "Z")
    frequent = customer_id(summary.tag, FREQUENT_CUSTOMER)
    shared_order = summary.order_of[p["same_order"]]
    return [
        (
            "waiting for a decision, one of them escalated by the SLA sweep",
            "list --status pending_approval",
        ),
        (
            "6,200.00 EUR: two different finance approvers (dual control)",
            f"show {p['dual_control']}",
        ),
        (
            "rejected, disputed, overturned by disputes:dana, then paid",
            f"history {p['dispute_overturned_rejected']}",
        ),
        (
            "paid 200.00 of 300.00, as it stood before the dispute ...",
            f"show {p['dispute_overturned_paid']} --as-of {as_of}",
        ),
        (
            "... and after the overturn: only the 100.00 difference was paid out",
            f"history {p['dispute_overturned_paid']} --json",
        ),
        (
            "four refunds in a month: the fourth was flagged and rejected",
            f"list --customer {frequent}",
        ),
        ("flagged: one shipping address, three customers", f"show {p['fraud_shared_address']}"),
        ("a payout that failed (IBAN rejected) and was retried", f"history {p['payout_retried']}"),
        (
            "rejected by policy: outside the 14-day return window",
            f"history {p['verification_failed']}",
        ),
        ("two partial refunds on one order", f"list --order {shared_order}"),
        (
            "... and the order itself: captured by the storefront, what is left to refund",
            f"order show {shared_order}",
        ),
        ("the escalated request has now waited at finance past the SLA too", "sla sweep"),
        ("the rules behind every decision, and their version hash", "policy show"),
    ]
