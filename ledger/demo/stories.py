"""The demo's paths: one story per path of the refund lifecycle (docs/product.md §2.1).

Each story acts through the application only, and yields the hours until its next step.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from ledger.demo.cast import (
    ANN,
    BOB,
    DANA,
    FAY,
    FINN,
    FREQUENT_CUSTOMER,
    MIA,
    PAT,
    SAM,
    VIC,
    WES,
    Demo,
    Story,
)


def goods_verified(d: Demo) -> Story:
    rid = d.paths["goods_verified"] = d.request(2, "damaged", "420.00", "689.00", "phone", bought=6)
    yield 46
    d.app.verify(rid, VIC, "screen cracked in transit, outer box crushed", None)
    yield 5
    d.app.approve(rid, BOB, None, "carrier damage confirmed by warehouse photos")
    yield from d.pay(rid)


def verification_failed(d: Demo) -> Story:
    rid = d.request(3, "change_of_mind", "89.00", "129.00", bought=25)
    d.paths["verification_failed"] = rid
    yield 70
    d.app.verify(rid, WES, "unopened, original packaging", None)  # outside the 14-day window


def dual_control(d: Demo) -> Story:
    rid = d.request(4, "billing_error", "6200.00", "18450.00", "api", bought=12)
    d.paths["dual_control"] = rid
    yield 6
    d.app.approve(rid, FAY, None, "duplicate invoice confirmed against the PSP capture")
    yield 20
    d.app.approve(rid, FINN, None, "second approval: ledger and bank statement agree")
    yield from d.pay(rid, method="bank_transfer")


def two_finance(d: Demo) -> Story:
    rid = d.request(5, "wrong_item", "12400.00", "24800.00", "email", bought=9)
    d.paths["two_finance"] = rid
    yield 24
    d.app.verify(rid, VIC, "pallet of 40 wrong monitors returned unopened", None)
    yield 4
    d.app.approve(rid, FAY, None, "warehouse count matches the delivery note")
    yield 24
    d.app.approve(rid, FINN, None, None)
    yield 24
    d.app.start_payout(rid, PAT, "bank_transfer")


def manual_rejection(d: Demo) -> Story:
    rid = d.paths["manual_rejection"] = d.request(6, "billing_error", "220.00", "410.00", "phone")
    yield 8
    d.app.reject(rid, MIA, "the charge matches the signed quote; no billing error")


def fraud_repeat(d: Demo) -> Story:
    for reason, amount, total, gap in (
        ("late_delivery", "12.00", "48.00", 72),
        ("price_adjustment", "15.00", "60.00", 96),
        ("billing_error", "9.90", "39.90", 72),
    ):
        rid = d.request(FREQUENT_CUSTOMER, reason, amount, total)
        yield from d.pay(rid, wait=18)
        yield gap
    rid = d.request(FREQUENT_CUSTOMER, "late_delivery", "22.00", "70.00")
    d.paths["fraud_repeat"] = rid
    yield 3
    d.app.add_note(rid, BOB, "4th claim in 30 days; asked the carrier for proof of the delay")
    yield 20
    d.app.reject(rid, BOB, "carrier scan shows delivery on the promised day")


def shared_address(d: Demo) -> Story:
    for n, reason, amount, total in ((10, "late_delivery", "25.00", "80.00"),
                                     (11, "price_adjustment", "30.00", "95.00")):  # fmt: skip
        yield from d.pay(d.request(n, reason, amount, total, address=d.shared_address))
        yield 48
    rid = d.request(12, "not_as_described", "140.00", "260.00", address=d.shared_address)
    d.paths["fraud_shared_address"] = rid
    yield 3
    d.app.add_note(rid, ANN, "called the customer: student house, three tenants share it")
    yield 20
    d.app.verify(rid, WES, "colour differs from the listing photo", None)
    yield 6
    d.app.approve(rid, MIA, None, "flag reviewed; household explains the shared address")
    yield from d.pay(rid)


def dispute_overturned_rejected(d: Demo) -> Story:
    rid = d.request(8, "damaged", "380.00", "560.00")
    d.paths["dispute_overturned_rejected"] = rid
    yield 36
    d.app.verify(rid, VIC, "scuffs on the casing", None)
    yield 5
    d.app.reject(rid, BOB, "wear from use, not transit damage")
    yield 48
    d.app.open_dispute(rid, d.as_customer(8), "the box was crushed on arrival; photos attached")
    yield 48
    d.app.resolve_dispute(
        rid, DANA, "overturned", Decimal("380.00"), "courier's delivery photo shows the crushed box"
    )
    yield from d.pay(rid)


def dispute_overturned_paid(d: Demo) -> Story:
    rid = d.request(9, "defective", "300.00", "450.00", "phone", bought=10)
    d.paths["dispute_overturned_paid"] = rid
    yield 24
    d.app.verify(rid, VIC, "QA: one of the two units fails the power test", None)
    yield 6
    d.app.approve(rid, MIA, Decimal("200.00"), "only one unit faulty")
    yield from d.pay(rid)
    yield 60
    d.moments["paid_in_part"] = d.clock()  # paid 200.00 of 300.00, before the dispute
    yield 1
    d.app.add_note(rid, d.as_customer(9), "the second unit has stopped working too")
    d.app.open_dispute(rid, d.as_customer(9), "second unit failed after a week")
    yield 36
    d.app.resolve_dispute(
        rid, DANA, "overturned", Decimal("300.00"), "QA re-test: second unit faulty"
    )
    yield from d.pay(rid)


def dispute_upheld(d: Demo) -> Story:
    rid = d.paths["dispute_upheld"] = d.request(1, "late_delivery", "90.00", "180.00", "email")
    yield 5
    d.app.approve(rid, MIA, Decimal("45.00"), "delay compensation is capped at 25% of the order")
    yield from d.pay(rid)
    yield 48
    d.app.open_dispute(rid, d.as_customer(1), "I want the full amount back")
    yield 24
    d.app.resolve_dispute(rid, DANA, "upheld", None, "terms cap delay compensation at 25%")


def payout_retried(d: Demo) -> Story:
    rid = d.request(2, "not_as_described", "640.00", "990.00", "store", bought=12)
    d.paths["payout_retried"] = rid
    yield 24
    d.app.verify(rid, WES, "fabric differs from the description", None)
    yield 4
    d.app.approve(rid, BOB, None, None)
    yield 24
    d.app.start_payout(rid, FAY, "bank_transfer")
    yield 24
    d.app.fail_payout(rid, FAY, "IBAN rejected by the receiving bank", "PSP-RJ-0042")
    yield 4
    d.app.add_note(rid, SAM, "customer confirmed a corrected IBAN in store")
    yield 4
    yield from d.pay(rid, wait=0, method="bank_transfer")


def sla_escalation(d: Demo) -> Story:
    """Two requests wait too long: one moves to finance, one breaches at the top tier."""
    escalated = d.request(3, "damaged", "750.00", "1150.00", "phone", bought=5)
    d.paths["sla_escalated"] = escalated
    yield 12
    d.app.verify(escalated, VIC, "cracked glass panel", None)
    yield 36
    breached = d.request(6, "price_adjustment", "1800.00", "9600.00", "api", bought=None)
    d.paths["sla_breached"] = breached
    yield 60  # both have now waited more than the policy's 48 hours
    d.app.sweep_sla(d.clock())
    yield 12
    d.app.approve(breached, FAY, None, "price match agreed with the key-account team")
    yield from d.pay(breached)


def manual_escalation(d: Demo) -> Story:
    rid = d.request(4, "wrong_quantity", "900.00", "2700.00", "email", bought=3)
    d.paths["manual_escalation"] = rid
    yield 24
    d.app.verify(rid, VIC, "12 surplus units received", None)
    yield 3
    d.app.escalate(rid, BOB, "key account: finance should sign this off")
    yield 10
    d.app.approve(rid, FINN, None, None)
    yield from d.pay(rid)


def cancelled(d: Demo) -> Story:
    rid = d.paths["cancelled"] = d.request(10, "change_of_mind", "60.00", "140.00", bought=2)
    yield 22
    d.app.cancel(rid, d.as_customer(10), "decided to keep it after all")


def restocking_fee(d: Demo) -> Story:
    rid = d.paths["restocking_fee"] = d.request(11, "change_of_mind", "120.00", "160.00", bought=5)
    yield 48
    d.app.verify(rid, WES, "unused, original packaging", None)
    yield 5
    d.app.approve(rid, MIA, None, "standard 15% restocking fee applies")
    yield from d.pay(rid)


def goodwill_credit_note(d: Demo) -> Story:
    rid = d.request(12, "goodwill", None, "380.00", "phone", method="credit_note")
    d.paths["goodwill_credit_note"] = rid
    yield 6
    d.app.approve(rid, BOB, None, "goodwill for a missed installation appointment")
    yield from d.pay(rid)


STORIES: tuple[tuple[float, Callable[[Demo], Story]], ...] = (
    (2.0, goods_verified),
    (3.0, verification_failed),
    (4.0, dual_control),
    (5.5, manual_rejection),
    (6.0, fraud_repeat),
    (7.0, dispute_overturned_rejected),
    (8.0, shared_address),
    (9.0, dispute_overturned_paid),
    (10.0, dispute_upheld),
    (12.0, payout_retried),
    (17.0, manual_escalation),
    (18.0, cancelled),
    (19.0, restocking_fee),
    (20.0, two_finance),
    (21.0, goodwill_credit_note),
    (22.0, sla_escalation),
)
