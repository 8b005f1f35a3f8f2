"""Every lifecycle path of docs/product.md §2.1, driven once through the installed `ledger`
command (docs/product.md §7). The rules along the way (automatic approval, dual control, the
SLA sweep, reads, idempotency, output) are checked in-process, in
tests/integration/cli_in_process/test_cli_lifecycle.py."""

from __future__ import annotations

from cli_support import days_ago, pending, types

from .support import Ledger


def resolution(rid: str, actor: str, outcome: str, rationale: str, *extra: str) -> list[str]:
    """The arguments of `ledger dispute resolve`."""
    command = f"dispute resolve {rid} --actor {actor} --outcome {outcome}".split()
    return [*command, "--rationale", rationale, *extra]


# --- approval paths ---


def test_returned_goods_are_verified_approved_and_paid(ledger: Ledger) -> None:
    refund = ledger.request(reason="damaged", amount="80.00", purchased_on=days_ago(3))
    assert refund["status"] == "requested"

    verified = ledger.ok(
        "verify", refund["id"], "--actor", "verifier:vic", "--condition", "box dented"
    )
    assert verified["status"] == "pending_approval"
    assert verified["tier"] == "manager"

    approved = ledger.ok("approve", refund["id"], "--actor", "manager:bob", "--note", "fine")
    assert approved["status"] == "approved"
    assert approved["approved_amount"] == "80.00"
    verification = next(e for e in ledger.history(refund["id"]) if e["type"] == "Verified")
    assert verification["actor"] == "verifier:vic"
    assert verification["condition"] == "box dented"
    assert verification["passed"] is True

    rid, finance = refund["id"], ("--actor", "finance:fay")
    ledger.ok("payout", "start", rid, *finance)
    paid = ledger.ok("payout", "settle", rid, *finance, "--reference", "PSP-1")
    assert (paid["status"], paid["paid_amount"]) == ("paid", "80.00")
    assert types(ledger.history(rid))[-2:] == ["PayoutStarted", "PayoutSettled"]


def test_manager_rejects_pending_refund(ledger: Ledger) -> None:
    refund = pending(ledger)

    rejected = ledger.ok("reject", refund["id"], "--actor", "manager:bob", "--reason", "no proof")

    assert rejected["status"] == "rejected"
    assert rejected["approved_amount"] is None
    last = ledger.history(refund["id"])[-1]
    assert (last["type"], last["actor"], last["reason"]) == ("Rejected", "manager:bob", "no proof")


# --- escalation ---


def test_manual_escalation_moves_refund_to_finance_tier(ledger: Ledger) -> None:
    refund = pending(ledger)
    assert refund["tier"] == "manager"

    escalated = ledger.ok("escalate", refund["id"], "--actor", "manager:bob", "--reason", "unsure")
    assert escalated["status"] == "pending_approval"
    assert escalated["tier"] == "finance"

    by_manager = ledger.run("approve", refund["id"], "--actor", "manager:mia")
    assert by_manager.code == 1, by_manager.describe()
    assert ledger.ok("approve", refund["id"], "--actor", "finance:fay")["status"] == "approved"


# --- cancellation ---


def test_cancelled_refund_releases_its_hold_on_the_order(ledger: Ledger) -> None:
    refund = pending(ledger, amount="200.00")

    cancelled = ledger.ok("cancel", refund["id"], "--actor", "agent:ann", "--reason", "mistake")
    assert cancelled["status"] == "cancelled"
    payout = ledger.run("payout", "start", refund["id"], "--actor", "finance:fay")
    assert payout.code == 1, payout.describe()

    # the 200.00 of the 250.00 order is refundable again
    assert ledger.request(amount="200.00")["status"] == "pending_approval"


# --- payouts ---


def test_payout_fails_then_retry_settles(ledger: Ledger) -> None:
    refund = ledger.request(amount="30.00")
    rid = refund["id"]

    started = ledger.ok(
        "payout", "start", rid, "--actor", "finance:fay", "--method", "store_credit"
    )
    assert (started["status"], started["payout_attempt"]) == ("payout_pending", 1)
    failed = ledger.ok("payout", "fail", rid, "--actor", "finance:fay", "--reason", "card expired")
    assert failed["status"] == "payout_failed"
    assert failed["paid_amount"] is None
    retried = ledger.ok("payout", "start", rid, "--actor", "finance:fay")
    assert (retried["status"], retried["payout_attempt"]) == ("payout_pending", 2)
    settled = ledger.ok("payout", "settle", rid, "--actor", "finance:fay", "--reference", "PSP-9")

    assert settled["status"] == "paid"
    assert settled["paid_amount"] == "30.00"
    history = ledger.history(rid)
    assert types(history)[-4:] == [
        "PayoutStarted",
        "PayoutFailed",
        "PayoutStarted",
        "PayoutSettled",
    ]
    assert history[-4]["method"] == "store_credit"
    assert history[-1]["reference"] == "PSP-9"


# --- disputes ---


def test_overturned_dispute_on_rejection_approves_new_amount_and_pays_it(ledger: Ledger) -> None:
    rid = pending(ledger)["id"]
    ledger.ok("reject", rid, "--actor", "manager:bob", "--reason", "no receipt")

    opened = ledger.ok("dispute", "open", rid, "--actor", "agent:ann", "--reason", "receipt found")
    assert opened["status"] == "disputed"
    resolved = ledger.ok(
        *resolution(rid, "disputes:dora", "overturned", "receipt is genuine", "--amount", "150.00")
    )
    assert (resolved["status"], resolved["approved_amount"]) == ("approved", "150.00")

    ledger.ok("payout", "start", rid, "--actor", "finance:fay")
    paid = ledger.ok("payout", "settle", rid, "--actor", "finance:fay", "--reference", "PSP-1")
    assert (paid["status"], paid["paid_amount"]) == ("paid", "150.00")


def test_overturned_dispute_on_paid_refund_pays_only_the_difference(ledger: Ledger) -> None:
    rid = pending(ledger, amount="200.00")["id"]
    ledger.ok("approve", rid, "--actor", "manager:bob", "--amount", "150.00")
    ledger.ok("payout", "start", rid, "--actor", "finance:fay")
    ledger.ok("payout", "settle", rid, "--actor", "finance:fay", "--reference", "PSP-1")

    ledger.ok("dispute", "open", rid, "--actor", "disputes:dan", "--reason", "wanted it all")
    resolved = ledger.ok(
        *resolution(rid, "disputes:dora", "overturned", "full refund is due", "--amount", "200.00")
    )
    assert (resolved["approved_amount"], resolved["paid_amount"]) == ("200.00", "150.00")
    ledger.ok("payout", "start", rid, "--actor", "finance:fay")
    paid = ledger.ok("payout", "settle", rid, "--actor", "finance:fay", "--reference", "PSP-2")

    assert (paid["status"], paid["paid_amount"]) == ("paid", "200.00")
    payouts = [e for e in ledger.history(rid) if e["type"] == "PayoutStarted"]
    assert [p["amount"] for p in payouts] == ["150.00", "50.00"]


def test_upheld_dispute_restores_the_decision_and_decider_cannot_resolve(ledger: Ledger) -> None:
    rid = pending(ledger)["id"]
    ledger.ok("reject", rid, "--actor", "manager:bob", "--reason", "outside policy")
    ledger.ok("dispute", "open", rid, "--actor", "agent:ann", "--reason", "customer insists")

    by_decider = ledger.run(*resolution(rid, "disputes:bob", "upheld", "I stand by it"))
    assert by_decider.code == 1, by_decider.describe()
    assert ledger.show(rid)["status"] == "disputed"

    upheld = ledger.ok(*resolution(rid, "disputes:dora", "upheld", "policy applied correctly"))
    assert (upheld["status"], upheld["approved_amount"]) == ("rejected", None)
    assert ledger.history(rid)[-1]["outcome"] == "upheld"
