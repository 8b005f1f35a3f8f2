"""The finance consumer on a real broker: its journal, duplicates, and poison messages."""

from __future__ import annotations

import threading
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from consumers.finance import FinanceHandler
from consumers.finance_books import journal, trial_balance
from consumers.runner import ConsumerRunner, Counts
from ledger.app.service import RefundLedger
from ledger.bootstrap import bootstrap
from ledger.config import Settings
from localservers.tansu import FAST_GROUP_JOIN, create_topic

from consumer_support import (
    fresh_name,
    ledger_messages,
    paid_and_retried,
    poisoned,
    produce,
    read_topic,
)

TRIAL_BALANCE = [
    {"currency": "EUR", "account": "cash", "debit": "0", "credit": "70.00", "balance": "-70.00"},
    {"currency": "EUR", "account": "refund_expense", "debit": "110.00", "credit": "40.00",
     "balance": "70.00"},
    {"currency": "EUR", "account": "refunds_payable", "debit": "110.00", "credit": "110.00",
     "balance": "0.00"},
]  # fmt: skip


class Topics:
    def __init__(self, bootstrap: str) -> None:
        self.bootstrap = bootstrap
        self.events, self.dlq = fresh_name("events"), fresh_name("dlq")

    def consume(self, database_url: str, group: str | None = None) -> tuple[Counts, list[Any]]:
        """Run the finance consumer until idle; its counts and the journal after it."""
        with bootstrap(Settings(database_url=database_url)).consumer_store() as store:
            runner = ConsumerRunner(
                FinanceHandler(), store, self.bootstrap, self.events,
                group or fresh_name("finance"), self.dlq, idle_seconds=0.5, **FAST_GROUP_JOIN,
            )  # fmt: skip
            counts = runner.run(threading.Event(), once=True)
            return counts, journal(store)


def lines(entry: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [(line["account"], line["debit"], line["credit"]) for line in entry["lines"]]


def test_payouts_post_balanced_entries_and_duplicates_post_nothing(
    make_app: Callable[[str], RefundLedger], database_url: str, kafka_bootstrap: str
) -> None:
    app = make_app(database_url)
    paid, retried = paid_and_retried(app)
    messages = ledger_messages(app)
    topics = Topics(kafka_bootstrap)
    produce(kafka_bootstrap, topics.events, messages)

    counts, entries = topics.consume(database_url)

    assert counts == Counts(applied=len(messages), duplicates=0, dead_lettered=0)
    posted = [(e["refund_id"], e["attempt"], e["kind"], lines(e)) for e in entries]
    assert sorted(posted) == sorted([
        (paid, 1, "started", [("refund_expense", "30.00", "0"), ("refunds_payable", "0", "30.00")]),
        (paid, 1, "settled", [("refunds_payable", "30.00", "0"), ("cash", "0", "30.00")]),
        (retried, 1, "started",
         [("refund_expense", "40.00", "0"), ("refunds_payable", "0", "40.00")]),
        (retried, 1, "failed",
         [("refunds_payable", "40.00", "0"), ("refund_expense", "0", "40.00")]),
        (retried, 2, "started",
         [("refund_expense", "40.00", "0"), ("refunds_payable", "0", "40.00")]),
        (retried, 2, "settled", [("refunds_payable", "40.00", "0"), ("cash", "0", "40.00")]),
    ])  # fmt: skip
    assert all(e["currency"] == "EUR" for e in entries)
    for entry in entries:  # every entry balances
        assert sum(Decimal(line["debit"]) for line in entry["lines"]) == sum(
            Decimal(line["credit"]) for line in entry["lines"]
        )
    with bootstrap(Settings(database_url=database_url)).consumer_store() as store:
        assert trial_balance(store) == TRIAL_BALANCE

    produce(kafka_bootstrap, topics.events, messages)  # the relay sends everything again
    again, after = topics.consume(database_url)  # a new group reads all of it: duplicates

    assert again == Counts(applied=0, duplicates=2 * len(messages), dead_lettered=0)
    assert after == entries


def test_poison_messages_go_to_the_dlq_with_the_reason_and_the_rest_is_posted(
    make_app: Callable[[str], RefundLedger], database_url: str, kafka_bootstrap: str
) -> None:
    app = make_app(database_url)
    paid, retried = paid_and_retried(app)
    messages = ledger_messages(app)
    requested = [m for m in messages if b"refunds.Requested" in dict(m["headers"])["ce_type"]]
    messages.remove(requested[1])  # the journal never hears of `retried`: its payouts refused
    poison = poisoned(messages[0])
    sent = messages[:2] + list(poison.values()) + messages[2:]
    topics = Topics(kafka_bootstrap)
    create_topic(kafka_bootstrap, topics.events, partitions=3)
    produce(kafka_bootstrap, topics.events, sent)

    counts, entries = topics.consume(database_url)

    assert counts == Counts(applied=len(messages) - 4, duplicates=0, dead_lettered=8)
    assert sorted((e["refund_id"], e["kind"]) for e in entries) == [
        (paid, "settled"), (paid, "started")
    ]  # fmt: skip
    dead = read_topic(kafka_bootstrap, topics.dlq, 8)
    reasons = sorted(dict(record.headers)["dlq_error"].decode() for record in dead)
    never = f"finance handler: CannotPost: refund {retried} was never requested in this journal"
    assert reasons == sorted([
        "unknown ce_type 'refunds.Teleported.v1'",
        "missing CloudEvents header ce_source",
        f"finance handler: CannotPost: no started payout 1 of refund {retried} to reverse",
        never, never, never,
        *[r for r in reasons if r.startswith(("body is not JSON: ", "schema refunds.Requested"))],
    ])  # fmt: skip
    assert any(r.startswith("body is not JSON: Expecting property name") for r in reasons)
    assert any("violated at (body)" in r for r in reasons)
    for record in dead:  # the original record, and where it came from
        headers = dict(record.headers)
        original = [
            m for m in sent
            if m["value"] == record.value and set(m["headers"]) <= set(record.headers)
        ]  # fmt: skip
        assert original and record.key == original[0]["key"]
        assert headers["dlq_topic"] == topics.events.encode()
        assert int(headers["dlq_offset"]) >= 0 and int(headers["dlq_partition"]) in (0, 1, 2)
