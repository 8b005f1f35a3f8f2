"""H1 `show` and `history` latency, S1 `list` latency at 1,000,000 refunds (quick 5,000).

- H1: one refund with 50 events (a request, then notes), read the way the CLI reads it:
  `refund_out(app.get(id))` for `show`, `event_out` of each of `app.history(id)` for
  `history`, in a warm process. Baseline: a raw single-row SELECT by primary key of the
  events table through psycopg, on a held connection, same server.
- S1: 1,000,000 refunds through the application would take far too long, so the status
  view's rows are generated directly in the database (INSERT ... SELECT over
  generate_series, into the view's own table with its own indexes, built after the load),
  with a realistic spread: statuses mostly terminal, ~100,000 customers, creation times over a
  year. `list` is `queries.list_refunds`, the read of the view that `ledger list` and
  `GET /refunds` make through `RefundQueries.refunds` (after its catch-up, not timed here):
  by status, a page of 50 after a random cursor (keyset paging); by customer, all of a random
  customer's refunds (about 10). Baseline: the same SELECT as raw SQL through psycopg on a
  held connection.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable, Iterator
from typing import Any, LiteralString, cast

import psycopg
from psycopg import sql

from benchmarks.data import MANAGER, fill
from benchmarks.stack import Stack
from benchmarks.stats import latencies_ms, percentile
from benchmarks.table import Row, Target
from ledger.app.presenters import event_out, refund_out
from ledger.bootstrap import bootstrap
from ledger.config import Settings
from ledger.projections import status
from ledger.projections.queries import Page, RefundFilter, list_refunds
from ledger.projections.runner import Projections
from ledger.projections.status import StatusView
from ledger.store.tracking import ViewStore

CUSTOMERS = 100_000
PAGE_SIZE = 50
#: (status, share in percent) of the generated refunds: most are finished.
SPREAD = (
    ("paid", 55), ("rejected", 12), ("cancelled", 6), ("requested", 6),
    ("pending_approval", 8), ("approved", 4), ("payout_pending", 5), ("payout_failed", 2),
    ("disputed", 2),
)  # fmt: skip


def run(stack: Stack) -> Iterator[Row]:
    yield from _history_rows(stack)
    yield from _list_rows(stack)


# --- H1 ---


def _history_rows(stack: Stack) -> Iterator[Row]:
    url = stack.database("reads")
    app = bootstrap(Settings(database_url=url)).ledger
    times = stack.size(1000, 50)
    try:
        refund_id = _refund_with_events(app, 50)
        recorder: Any = app.recorder  # PostgreSQL's: its events table's schema and name
        table = sql.Identifier(recorder.datastore.schema, recorder.events_table_name)
        with psycopg.connect(url) as conn:
            conn.autocommit = True
            statement = sql.SQL(
                "SELECT * FROM {} WHERE originator_id = %s AND originator_version = %s"
            ).format(table)
            raw = _latencies(lambda: conn.execute(statement, (refund_id, 25)).fetchall(), times)
        show = _latencies(lambda: refund_out(app.get(refund_id)), times)
        history = _latencies(lambda: [event_out(e) for e in app.history(refund_id)], times)
    finally:
        app.close()
    for what, found in (("show", show), ("history", history)):
        for p, targets in ((50, (Target(2, at_least=False),)), (99, ())):
            yield Row(
                "H1", f"`{what}` p{p}, refund of 50 events", percentile(found, p), "ms",
                percentile(raw, p), "raw SELECT by primary key", targets,
                lower_is_better=True,
            )  # fmt: skip


def _refund_with_events(app: Any, events: int) -> uuid.UUID:
    fill(app, 1)  # one refund of the shared load's shape, then notes
    refund_id = next(iter(app.refund_ids()))
    while app.get(refund_id).version < events:
        app.add_note(refund_id, MANAGER, "called the customer again")
    assert len(app.history(refund_id)) == events
    return uuid.UUID(str(refund_id))


def _latencies(action: Callable[[], object], times: int) -> list[float]:
    for _ in range(min(50, times)):  # warm: caches, prepared statements, pools
        action()
    return latencies_ms(action, times)


# --- S1 ---


def _list_rows(stack: Stack) -> Iterator[Row]:
    refunds = stack.size(1_000_000, 5_000)
    url = stack.database("list")
    app = bootstrap(Settings(database_url=url)).ledger
    times = stack.size(1000, 100)
    try:
        store = Projections(app, [StatusView()]).store
        _generate_status_rows(url, refunds)
        rng = random.Random(6)
        with psycopg.connect(url) as conn:
            conn.autocommit = True
            samples = _samples(conn, rng, times, refunds)
            for what, pick in (
                ("by status, page of 50 after a cursor", _by_status(samples)),
                ("by customer, all of one customer", _by_customer(samples)),
            ):
                found, raw = _list_latencies(store, conn, pick, times)
                yield Row(
                    "S1", f"`list` {what}, p99", percentile(found, 99), "ms",
                    percentile(raw, 99), "same SELECT, raw psycopg",
                    (Target(20, at_least=False),), lower_is_better=True,
                    note=f"{refunds:,} refunds in the status view (generated, not replayed)",
                )  # fmt: skip
    finally:
        app.close()


Raw = tuple[LiteralString, tuple[Any, ...]]
Pick = Callable[[int], tuple[RefundFilter, Page, Raw]]


def _samples(
    conn: psycopg.Connection[Any], rng: random.Random, times: int, refunds: int
) -> list[Any]:
    """`times` rows picked from a sample of the view's pages: 1% of a full run's, every page of
    a quick run's few (1% of them can be no page at all)."""
    percent = sql.Literal(min(100, max(1, 500_000 // refunds)))
    rows = conn.execute(
        sql.SQL("SELECT refund_id, status, customer_id FROM {} TABLESAMPLE SYSTEM ({})").format(
            sql.Identifier(status.TABLE), percent
        )
    ).fetchall()
    return [rng.choice(rows) for _ in range(times)]


def _by_status(samples: list[Any]) -> Pick:
    def pick(i: int) -> tuple[RefundFilter, Page, Raw]:
        refund_id, state, _ = samples[i]
        raw = (BY_STATUS, (state, refund_id, PAGE_SIZE))
        return RefundFilter(status=state), Page(limit=PAGE_SIZE, after=refund_id), raw

    return pick


def _by_customer(samples: list[Any]) -> Pick:
    def pick(i: int) -> tuple[RefundFilter, Page, Raw]:
        customer = samples[i][2]
        return RefundFilter(customer=customer), Page(), (BY_CUSTOMER, (customer,))

    return pick


BY_STATUS = (
    "SELECT * FROM refund_status WHERE status = %s "
    "AND seq > (SELECT seq FROM refund_status WHERE refund_id = %s) ORDER BY seq LIMIT %s"
)
BY_CUSTOMER = "SELECT * FROM refund_status WHERE customer_id = %s ORDER BY seq"


def _list_latencies(
    store: ViewStore, conn: psycopg.Connection[Any], pick: Pick, times: int
) -> tuple[list[float], list[float]]:
    picks = [pick(i) for i in range(times)]
    queue = iter(picks)

    def listed() -> object:
        where, page, _ = next(queue)
        return list_refunds(store, where, page)

    def raw() -> object:
        statement, params = next(queue)[2]
        return conn.execute(statement, params).fetchall()

    warm = min(50, times)
    queue = iter(picks[-warm:] + picks)
    found = _latencies(listed, times)
    queue = iter(picks[-warm:] + picks)
    return found, _latencies(raw, times)


def _generate_status_rows(url: str, refunds: int) -> None:
    """The status view's rows, generated server-side; its indexes rebuilt after the load."""
    cases = []
    bound = 0
    for name, share in SPREAD:
        bound += share
        cases.append(sql.SQL("WHEN r < {} THEN {}").format(bound, sql.Literal(name)))
    generated = sql.SQL(
        """
        INSERT INTO {table}
        SELECT md5('refund' || i)::uuid::text, i,
               CASE {cases} ELSE 'paid' END,
               'O-' || i, 'C-' || (hashint % {customers}), 'EUR', '120.00',
               '120.00', '120.00', '1000.00',
               (ARRAY['billing_error','price_adjustment','goodwill'])[1 + i % 3],
               'agent', 'original', NULL, 'agent:ann', '[]', 'manager', 1,
               '["manager:bob"]', 1, 'manager_approval', 8,
               to_char(at, 'YYYY-MM-DD"T"HH24:MI:SS.US+00:00'),
               to_char(at, 'YYYY-MM-DD"T"HH24:MI:SS.US+00:00'),
               to_char(at, 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
               NULL, NULL, NULL, '120.00'
        FROM (
            SELECT i, abs(hashint4(i)) AS hashint, abs(hashint4(i * 7 + 1)) % 100 AS r,
                   timestamp '2026-01-01' + (i * interval '31 seconds') AS at
            FROM generate_series(1, {refunds}) AS i
        ) AS g
        """
    ).format(
        table=sql.Identifier(status.TABLE),
        cases=sql.SQL(" ").join(cases),
        customers=CUSTOMERS,
        refunds=refunds,
    )
    with psycopg.connect(url, autocommit=True) as conn:
        indexes = conn.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = %s AND indexname NOT LIKE %s",
            (status.TABLE, "%_pkey"),
        ).fetchall()
        for (name,) in indexes:
            conn.execute(sql.SQL("DROP INDEX {}").format(sql.Identifier(name)))
        conn.execute(generated)
        for statement in StatusView().schema(postgres=True)[1:]:
            conn.execute(cast(sql.Composed, statement))
        conn.execute(sql.SQL("VACUUM ANALYZE {}").format(sql.Identifier(status.TABLE)))
