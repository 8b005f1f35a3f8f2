"""The rules of the lifecycle of docs/product.md §2.1 through the `ledger` CLI run in-process
(docs/product.md §7): automatic approval, dual control, failed verification, the SLA sweep,
notes, reads, idempotency and output. Every path itself is run once by the installed command
in tests/e2e/test_cli_lifecycle.py."""

from __future__ import annotations

import re
from datetime import timedelta

from cli_support import clean_env, days_ago, parse_time, pending, request_args, types

from ..in_process import Ledger

REFUND_KEYS = {
    "id",
    "status",
    "order_id",
    "customer_id",
    "currency",
    "requested_amount",
    "approved_amount",
    "paid_amount",
    "reason",
    "version",
    "flags",
}
DECIMAL = re.compile(r"^\d+\.\d{2}$")


def test_small_billing_error_is_approved_automatically(ledger: Ledger) -> None:
    refund = ledger.request(amount="30.00")

    assert refund["status"] == "approved"
    assert refund["approved_amount"] == "30.00"
    assert refund["paid_amount"] is None
    assert refund["last_rule"] == "auto_approval"
    history = ledger.history(refund["id"])
    assert types(history) == ["Requested", "Verified", "Approved"]
    assert history[-1]["actor"] == "system:policy"


def test_refund_above_dual_control_threshold_needs_two_different_finance_approvers(
    ledger: Ledger,
) -> None:
    refund = ledger.request(amount="6000.00", order_total="9000.00")
    assert (refund["status"], refund["tier"], refund["approvals_required"]) == (
        "pending_approval",
        "finance",
        2,
    )

    first = ledger.ok("approve", refund["id"], "--actor", "finance:fay")
    assert first["status"] == "pending_approval"
    assert first["approvals"] == ["finance:fay"]

    again = ledger.run("approve", refund["id"], "--actor", "finance:fay", "--json")
    assert again.code == 1, again.describe()
    assert "different person" in again.stderr
    assert again.stdout == ""
    assert ledger.show(refund["id"])["version"] == first["version"]

    second = ledger.ok("approve", refund["id"], "--actor", "finance:fred")
    assert second["status"] == "approved"
    assert second["approved_amount"] == "6000.00"
    assert second["approvals"] == ["finance:fay"]
    assert ledger.history(refund["id"])[-1]["approvers"] == ["finance:fay", "finance:fred"]


def test_failed_verification_rejects_the_request(ledger: Ledger) -> None:
    refund = ledger.request(reason="defective", amount="40.00", purchased_on=days_ago(2))

    failed = ledger.ok("verify", refund["id"], "--actor", "verifier:vic", "--fail", "box empty")

    assert failed["status"] == "rejected"
    history = ledger.history(refund["id"])
    assert types(history)[-2:] == ["Verified", "Rejected"]
    assert history[-2]["passed"] is False
    inspection = [f for f in history[-2]["findings"] if f["check"] == "inspection"]
    assert inspection == [{"check": "inspection", "passed": False, "detail": "box empty"}]


def test_sla_sweep_escalates_only_requests_older_than_48_hours(ledger: Ledger) -> None:
    refund = pending(ledger)
    created = parse_time(refund["created_at"])

    early = ledger.ok("sla", "sweep", "--now", (created + timedelta(hours=47)).isoformat())
    assert early == []

    late = ledger.ok("sla", "sweep", "--now", (created + timedelta(hours=49)).isoformat())
    assert [(r["id"], r["tier"]) for r in late] == [(refund["id"], "finance")]
    last = ledger.history(refund["id"])[-1]
    assert (last["type"], last["actor"]) == ("Escalated", "system:policy")


def test_sla_sweep_prints_a_summary_for_people(ledger: Ledger) -> None:
    refund = pending(ledger)
    later = (parse_time(refund["created_at"]) + timedelta(hours=49)).isoformat()

    outcome = ledger.run("sla", "sweep", "--now", later)

    assert outcome.code == 0, outcome.describe()
    assert "1 refund(s)" in outcome.stdout
    assert refund["id"] in outcome.stdout


def test_note_adds_an_event_and_changes_nothing_else(ledger: Ledger) -> None:
    before = pending(ledger)

    outcome = ledger.run("note", before["id"], "--actor", "agent:ann", "--text", "called back")

    assert outcome.code == 0, outcome.describe()
    after = ledger.show(before["id"])
    assert after["version"] == before["version"] + 1
    assert {k: v for k, v in after.items() if k not in ("version", "updated_at")} == {
        k: v for k, v in before.items() if k not in ("version", "updated_at")
    }
    last = ledger.history(before["id"])[-1]
    assert (last["type"], last["actor"], last["text"]) == ("NoteAdded", "agent:ann", "called back")


def test_show_json_has_the_contract_keys_with_decimal_strings(ledger: Ledger) -> None:
    rid = ledger.request(amount="30.00", currency="EUR")["id"]

    shown = ledger.show(rid)

    assert REFUND_KEYS <= shown.keys()
    assert (shown["id"], shown["order_id"], shown["customer_id"]) == (rid, "O-1", "C-1")
    assert (shown["currency"], shown["reason"], shown["status"]) == (
        "EUR",
        "billing_error",
        "approved",
    )
    assert DECIMAL.match(shown["requested_amount"]) and DECIMAL.match(shown["approved_amount"])
    assert shown["paid_amount"] is None
    assert isinstance(shown["version"], int) and shown["version"] >= 1
    assert shown["flags"] == []


def test_show_as_of_between_two_events_gives_the_earlier_state(ledger: Ledger) -> None:
    refund = pending(ledger)
    approved = ledger.ok("approve", refund["id"], "--actor", "manager:bob")
    history = ledger.history(refund["id"])
    requested_at = parse_time(history[refund["version"] - 1]["at"])
    approved_at = parse_time(history[-1]["at"])
    assert approved_at > requested_at
    between = requested_at + (approved_at - requested_at) / 2

    then = ledger.ok("show", refund["id"], "--as-of", between.isoformat())

    assert (then["status"], then["version"]) == ("pending_approval", refund["version"])
    assert then["approved_amount"] is None
    assert ledger.show(refund["id"])["status"] == approved["status"] == "approved"
    before = ledger.run("show", refund["id"], "--as-of", "2000-01-01T00:00:00Z")
    assert before.code == 1, before.describe()


def test_history_lists_every_event_in_order_with_actor_time_and_fields(ledger: Ledger) -> None:
    refund = pending(ledger)
    ledger.ok("reject", refund["id"], "--actor", "manager:bob", "--reason", "duplicate")

    history = ledger.history(refund["id"])

    assert [e["version"] for e in history] == list(range(1, len(history) + 1))
    assert types(history) == ["Requested", "Verified", "RoutedForApproval", "Rejected"]
    for event in history:
        assert {"version", "type", "actor", "at"} <= event.keys()
        parse_time(event["at"])
    requested = history[0]
    assert (requested["actor"], requested["order_id"], requested["amount"]) == (
        "agent:ann",
        "O-1",
        "200.00",
    )
    assert history[-1]["reason"] == "duplicate"


def test_list_filters_by_status_customer_and_order(ledger: Ledger) -> None:
    small = ledger.request(amount="30.00", customer="C-1", order="O-1")
    large = pending(ledger, customer="C-2", order="O-2")
    third = ledger.request(amount="20.00", customer="C-2", order="O-3")

    def ids(*filters: str) -> list[str]:
        return [r["id"] for r in ledger.ok("list", *filters)]

    assert ids() == [small["id"], large["id"], third["id"]]
    assert ids("--status", "approved") == [small["id"], third["id"]]
    assert ids("--status", "pending_approval") == [large["id"]]
    assert ids("--customer", "C-2") == [large["id"], third["id"]]
    assert ids("--order", "O-1") == [small["id"]]
    assert ids("--customer", "C-2", "--order", "O-3") == [third["id"]]
    assert ids("--customer", "C-1", "--order", "O-3") == []
    assert ids("--status", "paid") == []
    assert all(REFUND_KEYS <= row.keys() for row in ledger.ok("list"))


def test_policy_show_prints_its_version(ledger: Ledger) -> None:
    shown = ledger.ok("policy", "show")

    assert isinstance(shown["version"], str) and shown["version"]
    assert shown["policy"]["approval"]["dual_control_above"] == "5000.00"
    human = ledger.run("policy", "show")
    assert human.code == 0, human.describe()
    assert shown["version"] in human.stdout


def test_replayed_idempotency_key_returns_the_same_refund_and_stores_nothing(
    ledger: Ledger,
) -> None:
    first = ledger.request("--idempotency-key", "K-1")
    history = ledger.history(first["id"])

    again = ledger.run("request", *request_args(), "--idempotency-key", "K-1", "--json")
    assert again.code == 0, again.describe()
    assert "--idempotency-key was used before; this is the first result" in again.stderr
    replay = again.json()

    assert replay["id"] == first["id"]
    assert replay["version"] == first["version"]
    assert ledger.history(first["id"]) == history
    assert [r["id"] for r in ledger.ok("list")] == [first["id"]]


def test_same_idempotency_key_with_other_content_is_refused(ledger: Ledger) -> None:
    first = ledger.request("--idempotency-key", "K-1")

    other = ledger.run(
        "request", *request_args(amount="31.00"), "--idempotency-key", "K-1", "--json"
    )

    assert other.code == 1, other.describe()
    assert "K-1" in other.stderr and "\n" not in other.stderr.strip()
    assert [r["id"] for r in ledger.ok("list")] == [first["id"]]
    assert ledger.show(first["id"])["requested_amount"] == "30.00"


def test_human_output_prints_tables_containing_the_id(ledger: Ledger) -> None:
    created = ledger.run("request", *request_args())
    assert created.code == 0, created.describe()
    rid = ledger.ok("list")[0]["id"]
    assert rid in created.stdout

    for args, expected in ((("show", rid), rid), (("list",), rid), (("history", rid), "Requested")):
        outcome = ledger.run(*args)
        assert outcome.code == 0, outcome.describe()
        assert not outcome.stdout.lstrip().startswith(("{", "[")), outcome.stdout
        assert expected in outcome.stdout, outcome.stdout


def test_database_url_can_come_from_the_environment(ledger: Ledger) -> None:
    env = clean_env(LEDGER_DATABASE_URL=ledger.database_url)

    created = ledger.run("request", *request_args(), "--json", env=env, db=False)

    assert created.code == 0, created.describe()
    assert [r["id"] for r in ledger.ok("list")] == [created.json()["id"]]
    assert not (ledger.workdir / "ledger.db").exists()  # not the default store


def test_demo_fills_the_store_with_refunds_on_every_path(ledger: Ledger) -> None:
    outcome = ledger.run("demo")

    assert outcome.code == 0, outcome.describe()
    assert "ledger " in outcome.stdout  # the tour names commands to try next
    statuses = {refund["status"] for refund in ledger.ok("list")}
    assert {"approved", "pending_approval", "rejected", "cancelled", "paid"} <= statuses


def test_stored_text_that_looks_like_rich_markup_is_printed_as_is(ledger: Ledger) -> None:
    """Tables show notes and reasons verbatim: "[red]" is data, "[/bold]" no crash."""
    refund = ledger.request(note="[red]urgent[/red]")
    text = "[/bold] customer wrote [b]twice"
    assert ledger.run("note", refund["id"], "--actor", "agent:ann", "--text", text).code == 0
    for args in (("history", refund["id"]), ("audit", "search", "--refund", refund["id"])):
        outcome = ledger.run(*args)
        assert outcome.code == 0, outcome.describe()
        flat = " ".join(outcome.stdout.split())
        assert "[/bold] customer wrote [b]twice" in flat, outcome.describe()
    shown = ledger.run("show", refund["id"])
    assert shown.code == 0 and "[red]" not in shown.stderr, shown.describe()
