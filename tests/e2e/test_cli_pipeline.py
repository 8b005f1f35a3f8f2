"""The whole delivery path through the real CLI: commands -> relay -> finance and compliance.

A real broker, both back ends: after `relay run --once` and one `--once` run of each
consumer, the journal balances and holds every payout event, the archive holds every refund
event exactly once, and the alerts were raised, stored and published.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from decimal import Decimal
from typing import Any

from kafka import KafkaConsumer, TopicPartition

from .support import Ledger, parse_time
from consumer_support import fresh_name

FINANCE = ("--actor", "finance:fay")
PAYOUT_EVENTS = ("PayoutStarted", "PayoutSettled", "PayoutFailed")


def _seed(ledger: Ledger) -> dict[str, str]:
    """A paid refund, a failed-then-retried payout, and one escalated by the SLA sweep."""
    paid = ledger.request(order="O-1", amount="30.00")["id"]
    ledger.ok("payout", "start", paid, *FINANCE)
    ledger.ok("payout", "settle", paid, *FINANCE, "--reference", "PSP-1")
    retried = ledger.request(order="O-2", amount="40.00")["id"]
    ledger.ok("payout", "start", retried, *FINANCE)
    ledger.ok("payout", "fail", retried, *FINANCE, "--reason", "account closed")
    ledger.ok("payout", "start", retried, *FINANCE, "--method", "bank_transfer")
    ledger.ok("payout", "settle", retried, *FINANCE, "--reference", "PSP-2")
    waiting = ledger.request(order="O-3", amount="200.00")
    later = parse_time(waiting["created_at"]) + timedelta(hours=49)
    assert ledger.ok("sla", "sweep", "--now", later.isoformat())
    return {"paid": paid, "retried": retried, "escalated": waiting["id"]}


def _consume(ledger: Ledger, name: str, bootstrap: str, topic: str, *extra: str) -> None:
    outcome = ledger.run(
        "consume", name, "--kafka", bootstrap, "--topic", topic, "--dlq-topic", f"{topic}.dlq",
        "--group", fresh_name(name), "--once", "--idle", "1", "--session-timeout-ms", "2000",
        *extra,
    )  # fmt: skip
    assert outcome.code == 0, outcome.describe()
    assert f"{name}: applied " in outcome.stdout and "dead-lettered 0" in outcome.stdout


def _published_alerts(bootstrap: str, topic: str, expected: int) -> list[Any]:
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, consumer_timeout_ms=2000)
    try:
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic)]
        consumer.assign(partitions)
        consumer.seek_to_beginning()
        found: list[Any] = []
        for record in consumer:  # Tansu's end offsets may lag: read until a poll is empty
            found.append(record)
        assert len(found) >= expected, (len(found), expected)
        return found
    finally:
        consumer.close()


def test_commands_reach_the_journal_and_the_archive_through_the_relay(
    ledger: Ledger, kafka_bootstrap: str
) -> None:
    ids = _seed(ledger)
    topic, alerts_topic = fresh_name("events"), fresh_name("alerts")
    relayed = ledger.run("relay", "run", "--once", "--kafka", kafka_bootstrap, "--topic", topic)
    assert relayed.code == 0, relayed.describe()
    _consume(ledger, "finance", kafka_bootstrap, topic)
    _consume(ledger, "compliance", kafka_bootstrap, topic, "--alerts-topic", alerts_topic)

    histories = {refund["id"]: ledger.history(refund["id"]) for refund in ledger.ok("list")}
    events = [(refund_id, e["version"]) for refund_id, h in histories.items() for e in h]
    payout_events = [e for h in histories.values() for e in h if e["type"] in PAYOUT_EVENTS]

    journal = ledger.ok("finance", "journal")
    assert len(journal) == len(payout_events) == 6
    for entry in journal:
        lines = entry["lines"]
        assert sum(map(Decimal, (x["debit"] for x in lines))) == sum(
            map(Decimal, (x["credit"] for x in lines))
        )
    balances = {
        row["account"]: Decimal(row["balance"]) for row in ledger.ok("finance", "trial-balance")
    }
    paid_out = sum(Decimal(ledger.show(i)["paid_amount"]) for i in (ids["paid"], ids["retried"]))
    assert balances == {"refund_expense": paid_out, "refunds_payable": 0, "cash": -paid_out}

    archive = ledger.ok("compliance", "archive")
    assert sorted((row["refund_id"], row["version"]) for row in archive) == sorted(events)

    alerts = ledger.ok("compliance", "alerts")
    kinds = Counter(alert["kind"] for alert in alerts)
    assert "chain_break" not in kinds
    assert {a["refund_id"] for a in alerts if a["kind"] == "sla_escalation"} == {ids["escalated"]}
    assert all(alert["published_at"] for alert in alerts)
    published = _published_alerts(kafka_bootstrap, alerts_topic, len(alerts))
    assert {r.key.decode() for r in published} == {a["refund_id"] for a in alerts}
