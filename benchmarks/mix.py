"""The refund command mix (W1, W2): each refund is a short script of commands, run in order.

Six refund shapes, cycled: reasons with and without returned goods, amounts below the
automatic-approval limit and above it (a manager approves), every refund paid and settled, and
every other request names a shipping address (the fraud rules then load its history too).
Each shape is 3 to 5 commands: 4 on average. With `keyed`, every command carries an
idempotency key of its own (the W1 "with a key" rows: what recording the key costs).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from uuid import UUID

from ledger.app.commands import RefundRequestIn
from ledger.app.keys import Keyed
from ledger.app.service import RefundLedger
from ledger.domain.actor import Actor

AGENT = Actor.parse("agent:ann")
VERIFIER = Actor.parse("verifier:vic")
MANAGER = Actor.parse("manager:bob")
FINANCE = Actor.parse("finance:fay")
#: (amount, reason): "damaged" and "defective" wait for a verifier; above 50.00 a manager
#: approves; the others are approved by the policy.
SHAPES = (
    ("20.00", "billing_error"),
    ("35.00", "damaged"),
    ("120.00", "billing_error"),
    ("480.00", "damaged"),
    ("45.00", "price_adjustment"),
    ("800.00", "defective"),
)
AUTO_APPROVAL_LIMIT = Decimal("50.00")
GOODS_BACK = frozenset({"damaged", "defective"})

Step = Callable[[RefundLedger], object]


@dataclass
class RefundScript:
    """The commands of one refund; `steps` run in order, each after the one before."""

    tag: str
    steps: list[Step]


def script(tag: str, n: int, keyed: bool = False) -> RefundScript:
    """The `n`-th refund of a client named `tag` (tags keep clients' orders apart); with
    `keyed`, each command has an idempotency key."""
    amount, reason = SHAPES[n % len(SHAPES)]

    def key(step: str) -> Keyed | None:
        return Keyed(f"{tag}-{n}-{step}") if keyed else None

    form = dict(
        order_id=f"O-{tag}-{n}",
        customer_id=f"C-{tag}-{n // 2}",
        amount=amount,
        currency="EUR",
        order_total="1000.00",
        reason=reason,
        purchased_on=datetime.now(UTC).date().isoformat(),  # goods returns approve themselves
        address=f"{n // 4} Main Street, {tag}" if n % 2 else None,
    )
    made: list[UUID] = []  # the refund's id, once requested

    def request(app: RefundLedger) -> object:
        refund = app.request(AGENT, RefundRequestIn.model_validate(form), key("request"))
        made.append(refund.id)
        return refund

    def refund_id() -> UUID:
        return made[0]

    steps: list[Step] = [request]
    if reason in GOODS_BACK:
        steps.append(lambda app: app.verify(refund_id(), VERIFIER, "as new", None, key("v")))
    if Decimal(amount) > AUTO_APPROVAL_LIMIT:
        steps.append(lambda app: app.approve(refund_id(), MANAGER, None, None, key("a")))
    steps.append(lambda app: app.start_payout(refund_id(), FINANCE, None, key("p")))
    reference = f"PSP-{tag}-{n}"
    steps.append(lambda app: app.settle_payout(refund_id(), FINANCE, reference, key("s")))
    return RefundScript(tag, steps)


def commands(app: RefundLedger, tag: str, keyed: bool = False) -> Iterator[None]:
    """Run the mix for client `tag` without end, yielding after each command."""
    n = 0
    while True:
        for step in script(tag, n, keyed).steps:
            step(app)
            yield
        n += 1
