"""The shared load: refunds through the application, as the ledger's users make them."""

from __future__ import annotations

from ledger.app.commands import RefundRequestIn
from ledger.app.service import RefundLedger
from ledger.bootstrap import bootstrap
from ledger.config import Settings
from ledger.domain.actor import Actor

AGENT = Actor.parse("agent:ann")
MANAGER = Actor.parse("manager:bob")
FINANCE = Actor.parse("finance:fay")

#: Per refund of `fill`: 8 on the refund, 4 on its order, customer and address histories.
EVENTS_PER_REFUND = 12
SAVE_BATCH = 200


def fill_events(url: str, events: int) -> None:
    """About `events` stored events: refunds of 120.00 (a manager's approval), each paid,
    settled and noted; the later commands saved in batches to load quickly."""
    app = bootstrap(Settings(database_url=url)).ledger
    try:
        fill(app, max(1, events // EVENTS_PER_REFUND))
    finally:
        app.close()


def fill(app: RefundLedger, refunds: int) -> None:
    batch = []
    for n in range(refunds):
        form = dict(
            order_id=f"O-{n}",
            customer_id=f"C-{n % 5000}",
            amount="120.00",
            currency="EUR",
            order_total="1000.00",
            reason=("billing_error", "price_adjustment", "goodwill")[n % 3],
        )
        refund = app.request(AGENT, RefundRequestIn.model_validate(form))
        at = app.clock()
        refund.approve(MANAGER, None, None, app.policy, at)
        refund.start_payout(FINANCE, None, app.policy, at)
        refund.settle_payout(FINANCE, f"PSP-{n}", app.policy, at)
        for text in ("called the customer", "closed"):
            refund.add_note(MANAGER, text, app.policy, at)
        batch.append(refund)
        if len(batch) == SAVE_BATCH:
            app.save(*batch)
            batch = []
    app.save(*batch)
