"""What the ledger remembers per customer and per address, for the fraud rules."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate

from ledger.domain import payloads as e
from ledger.domain.ids import LEDGER_NAMESPACE


class CustomerHistory(Aggregate):
    class Started(Aggregate.Created):
        customer_id: str

    class RefundRecorded(Aggregate.Event):
        payload: e.CustomerRefundRecorded

        def apply(self, aggregate: Any) -> None:
            aggregate.refunds.append(self.payload)

    def __init__(self, customer_id: str) -> None:
        self.customer_id = customer_id
        self.refunds: list[e.CustomerRefundRecorded] = []

    @staticmethod
    def id_for(customer_id: str) -> UUID:
        return uuid5(LEDGER_NAMESPACE, f"/customer/{customer_id.lower()}")

    @classmethod
    def start(cls, customer_id: str, at: datetime) -> CustomerHistory:
        return cls._create(
            cls.Started, id=cls.id_for(customer_id), customer_id=customer_id, timestamp=at
        )

    def record(self, payload: e.CustomerRefundRecorded, at: datetime) -> None:
        self.trigger_event(self.RefundRecorded, payload=payload, timestamp=at)


def normalize_address(address: str) -> str:
    """Fold case, punctuation and spacing so that one address is one key."""
    return " ".join(re.sub(r"[^\w\s]", " ", address.casefold()).split())


class AddressHistory(Aggregate):
    class Started(Aggregate.Created):
        address: str

    class Used(Aggregate.Event):
        payload: e.AddressUsed

        def apply(self, aggregate: Any) -> None:
            aggregate.customers.append(self.payload.customer_id)

    def __init__(self, address: str) -> None:
        self.address = address
        self.customers: list[str] = []

    @staticmethod
    def id_for(address: str) -> UUID:
        return uuid5(LEDGER_NAMESPACE, f"/address/{normalize_address(address)}")

    @classmethod
    def start(cls, address: str, at: datetime) -> AddressHistory:
        return cls._create(
            cls.Started, id=cls.id_for(address), address=normalize_address(address), timestamp=at
        )

    def use(self, customer_id: str, at: datetime) -> None:
        customer = customer_id.lower()
        if customer not in self.customers:
            payload = e.AddressUsed(address=self.address, customer_id=customer)
            self.trigger_event(self.Used, payload=payload, timestamp=at)
