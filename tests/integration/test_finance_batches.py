"""The finance consumer's batched path (both back ends, no broker): a batch posts what the
same messages posted one at a time would, the inbox takes a batch in one go (copies and
already-seen messages skipped), and a batch with a message the journal refuses raises."""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest
from psycopg import sql

from consumers.finance import CannotPost, FinanceHandler
from consumers.finance_books import journal, trial_balance
from consumers.inbound import parse
from consumers.inbox import first_deliveries, inbox_schema
from consumers.messages import Delivered
from ledger.app.service import RefundLedger
from ledger.bootstrap import bootstrap
from ledger.config import Settings
from ledger.store.tracking import PostgresViews, ViewStore

from consumer_support import ledger_messages, paid_and_retried

TABLES = ("finance_lines", "finance_entries", "finance_refunds", "consumer_inbox")


def delivered(app: RefundLedger) -> list[Delivered]:
    """The app's published events as the consumer receives them (offsets in order)."""
    return [
        parse(SimpleNamespace(topic="events", partition=0, offset=n, **message))
        for n, message in enumerate(ledger_messages(app))
    ]


def prepared(store: ViewStore) -> FinanceHandler:
    handler = FinanceHandler()
    postgres = isinstance(store, PostgresViews)
    store.ensure("consumer.finance", inbox_schema() + handler.schema(postgres))
    with store.writing() as db:
        for table in TABLES:
            db.execute(sql.SQL("DELETE FROM {}").format(sql.Identifier(table)))
    return handler


def post(store: ViewStore, handler: FinanceHandler, messages: list[Delivered]) -> list[Any]:
    """Apply `messages` as the runner's transaction does; the ones applied."""
    with store.writing() as db:
        new = first_deliveries(db, handler.name, messages)
        handler.handle_many(db, new)
    return new


def test_a_batch_posts_what_one_message_at_a_time_posts(
    make_app: Callable[[str], RefundLedger], database_url: str
) -> None:
    app = make_app(database_url)
    paid_and_retried(app)
    messages = delivered(app)
    with bootstrap(Settings(database_url=database_url)).consumer_store() as store:
        handler = prepared(store)
        for message in messages:
            assert post(store, handler, [message]) == [message]
        one_by_one = journal(store), trial_balance(store)

        handler = prepared(store)
        assert post(store, handler, messages) == messages
        assert (journal(store), trial_balance(store)) == one_by_one
    assert len(one_by_one[0]) == 6  # started, settled; started, failed, started, settled


def test_the_inbox_skips_copies_in_the_batch_and_messages_seen_before(
    make_app: Callable[[str], RefundLedger], database_url: str
) -> None:
    app = make_app(database_url)
    paid_and_retried(app)
    messages = delivered(app)
    with bootstrap(Settings(database_url=database_url)).consumer_store() as store:
        handler = prepared(store)
        half = len(messages) // 2
        assert post(store, handler, messages[:half]) == messages[:half]
        copies = messages[half - 2 :] + messages[half:]  # two seen before, the rest twice
        assert post(store, handler, copies) == messages[half:]
        assert post(store, handler, messages) == []
        assert len(journal(store)) == 6


def test_a_batch_with_a_payout_of_an_unknown_refund_is_refused_whole(
    make_app: Callable[[str], RefundLedger], database_url: str
) -> None:
    app = make_app(database_url)
    paid_and_retried(app)
    messages = delivered(app)
    payouts = [m for m in messages if m.event_type != "Requested"]
    with bootstrap(Settings(database_url=database_url)).consumer_store() as store:
        handler = prepared(store)
        with pytest.raises(CannotPost, match="never requested"):
            post(store, handler, payouts)
        assert journal(store) == []  # rolled back, inbox rows too
        assert post(store, handler, messages) == messages
