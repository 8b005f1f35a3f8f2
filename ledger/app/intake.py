"""Intake of a new request: the refund, its order's balance, and the fraud history."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from ledger.app.commands import RefundRequestIn
from ledger.domain import fraud, verification
from ledger.domain import payloads as e
from ledger.domain.actor import SYSTEM_POLICY, Actor
from ledger.domain.errors import InvalidInput, OrderNotFound
from ledger.domain.history import AddressHistory, CustomerHistory
from ledger.domain.order import DECLARED, OrderBalance, OrderFacts
from ledger.domain.policy import Policy
from ledger.domain.refund import Refund

Find = Callable[[UUID], Any]


class Intake:
    """Builds every aggregate a new request touches; the caller saves them in one go."""

    def __init__(self, policy: Policy, find: Find) -> None:
        self.policy = policy
        self.find = find

    @staticmethod
    def lookups(form: RefundRequestIn) -> list[UUID]:
        """The aggregates `open` will look up, so that a caller can load them in one go."""
        found = [OrderBalance.id_for(form.order_id), CustomerHistory.id_for(form.customer_id)]
        if form.address:
            found.append(AddressHistory.id_for(form.address))
        return found

    @staticmethod
    def more_lookups(form: RefundRequestIn, find: Find) -> list[UUID]:
        """What `open` will also look up once the order is loaded: the history of the order's
        shipping address, when the request names none."""
        order = find(OrderBalance.id_for(form.order_id))
        if form.address or not isinstance(order, OrderBalance) or not order.address:
            return []
        return [AddressHistory.id_for(order.address)]

    def open(
        self,
        refund_id: UUID,
        actor: Actor,
        form: RefundRequestIn,
        fingerprint: str,
        at: datetime,
        key: str | None = None,
    ) -> tuple[Refund, list[Aggregate | None]]:
        """The new refund and the aggregates it changes; `key` is the request's idempotency
        key, recorded with it."""
        # who may ask comes first: a refusal must not tell them about the order
        Refund.check_requester(actor, form.customer_id, self.policy)
        if form.purchased_on is not None and form.purchased_on > at.date():
            raise InvalidInput(f"purchase date {form.purchased_on} is in the future")
        order = self._order(actor, form, at)
        amount = form.amount
        if amount is None:
            if form.reason != "goodwill" and form.method != "credit_note":
                raise InvalidInput(
                    "the amount is required (only goodwill and credit notes default)"
                )
            amount = self.policy.standard_goodwill(order.captured_total, order.currency)
        payload = e.RefundRequested(
            actor=str(actor),
            order_id=form.order_id,
            customer_id=form.customer_id,
            amount=amount,
            currency=form.currency,
            order_total=order.captured_total,
            reason=form.reason,
            channel=form.channel,
            method=form.method,
            purchased_on=order.purchased_on,
            items=form.goods(),
            address=form.address or order.address,
            note=form.note,
            idempotency_key=key,
            fingerprint=fingerprint,
            policy_version=self.policy.version,
        )
        refund = Refund.open(refund_id, actor, payload, self.policy, at)
        refundable_before = order.refundable()
        order.hold(str(refund_id), amount, at)
        customer, address = self._remember(refund, at)
        if not self.policy.goods_come_back(form.reason):
            outcome = verification.assess(payload, at.date(), refundable_before, self.policy)
            refund.verify(SYSTEM_POLICY, outcome, self.policy, at)
            order.hold(str(refund_id), refund.reserved_amount(), at)
        return refund, [order, customer, address]

    def _order(self, actor: Actor, form: RefundRequestIn, at: datetime) -> OrderBalance:
        """The request's order, its facts checked against what the request states; on an
        order not on record a staff member's stated total declares it. A customer refunds
        only a recorded order of their own, and learns nothing about anyone else's: an
        unknown order and another customer's get the same answer."""
        order: OrderBalance | None = self.find(OrderBalance.id_for(form.order_id))
        if actor.role == "customer" and (order is None or not order.belongs_to(actor.name)):
            raise OrderNotFound(form.order_id, f"{actor} can refund only its own recorded orders")
        if order is None:
            if form.order_total is None:
                raise OrderNotFound(
                    form.order_id,
                    "capture it first (ledger order capture), or state the order's total "
                    "to declare it",
                )
            facts = OrderFacts(
                customer_id=form.customer_id,
                total=form.order_total,
                currency=form.currency,
                purchased_on=form.purchased_on,
                address=form.address,
            )
            return OrderBalance.record(form.order_id, facts, actor, DECLARED, at)
        order.check_request(
            form.customer_id, form.currency, form.order_total, form.purchased_on, form.address
        )
        return order

    def _remember(
        self, refund: Refund, at: datetime
    ) -> tuple[CustomerHistory, AddressHistory | None]:
        """Update the customer's and the address's history and raise any fraud flags."""
        request = refund.request
        customer = self.find(CustomerHistory.id_for(request.customer_id)) or (
            CustomerHistory.start(request.customer_id, at)
        )
        address = None
        users: list[str] = []
        if request.address:
            address = self.find(AddressHistory.id_for(request.address)) or (
                AddressHistory.start(request.address, at)
            )
            users = list(address.customers)
            address.use(request.customer_id, at)
        record = e.CustomerRefundRecorded(
            customer_id=request.customer_id,
            refund_id=str(refund.id),
            order_id=request.order_id,
            amount=request.amount,
            currency=request.currency,
            order_total=request.order_total,
            at=at.isoformat(),
        )
        for flag in fraud.assess(record, list(customer.refunds), users, self.policy, at):
            refund.flag(flag.rule, flag.detail, self.policy, at)
        customer.record(record, at)
        return customer, address
