"""Intake of a new request: the refund, its order's balance, and the fraud history."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from ledger.app.requests import RefundRequestIn
from ledger.domain import events as e
from ledger.domain import fraud, verification
from ledger.domain.actor import SYSTEM_POLICY, Actor
from ledger.domain.errors import InvalidInput
from ledger.domain.history import AddressHistory, CustomerHistory
from ledger.domain.order import OrderBalance
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

    def open(
        self, refund_id: UUID, actor: Actor, form: RefundRequestIn, fingerprint: str, at: datetime
    ) -> tuple[Refund, list[Aggregate | None]]:
        if form.purchased_on is not None and form.purchased_on > at.date():
            raise InvalidInput(f"purchase date {form.purchased_on} is in the future")
        amount = form.amount
        if amount is None:
            if form.reason != "goodwill" and form.method != "credit_note":
                raise InvalidInput("--amount is required (only goodwill and credit notes default)")
            amount = self.policy.standard_goodwill(form.order_total, form.currency)
        payload = e.RefundRequested(
            actor=str(actor),
            order_id=form.order_id,
            customer_id=form.customer_id,
            amount=amount,
            currency=form.currency,
            order_total=form.order_total,
            reason=form.reason,
            channel=form.channel,
            method=form.method,
            purchased_on=form.purchased_on,
            items=form.items,
            address=form.address,
            note=form.note,
            idempotency_key=form.idempotency_key,
            fingerprint=fingerprint,
            policy_version=self.policy.version,
        )
        # who may ask comes first: a refusal must not tell them about the order (its total)
        refund = Refund.open(refund_id, actor, payload, self.policy, at)
        order = self._order(form, at)
        refundable_before = order.refundable()
        order.hold(str(refund_id), amount, at)
        customer, address = self._remember(refund, at)
        if not self.policy.goods_come_back(form.reason):
            outcome = verification.assess(payload, at.date(), refundable_before, self.policy)
            refund.verify(SYSTEM_POLICY, outcome, self.policy, at)
            order.hold(str(refund_id), refund.reserved_amount(), at)
        return refund, [order, customer, address]

    def _order(self, form: RefundRequestIn, at: datetime) -> OrderBalance:
        order: OrderBalance | None = self.find(OrderBalance.id_for(form.order_id))
        if order is None:
            return OrderBalance.open(form.order_id, form.currency, form.order_total, at)
        order.check_matches(form.currency, form.order_total)
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
