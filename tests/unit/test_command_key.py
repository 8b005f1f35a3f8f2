"""A command's idempotency key: scoped by its actor, and refusing other content; a refund
command's key stored as before, an order capture's with its order."""

from __future__ import annotations

from uuid import UUID, uuid4

import pytest
from eventsourcing.utils import get_topic

from ledger.app.keys import Keyed, fingerprint, key_use
from ledger.app.order_commands import capture_key_use
from ledger.app.orders import OrderCapture
from ledger.domain.command_key import CommandKey
from ledger.domain.errors import IdempotencyConflict
from ledger.domain.order import OrderBalance

from .builders import T0, actor

REFUND = uuid4()


def test_a_key_names_one_aggregate_per_actor() -> None:
    ann, bob = actor("manager:ann"), actor("manager:bob")

    assert CommandKey.id_for(ann, "k-1") == CommandKey.id_for(ann, "k-1")
    assert CommandKey.id_for(ann, "k-1") != CommandKey.id_for(bob, "k-1")
    assert CommandKey.id_for(ann, "k-1") != CommandKey.id_for(ann, "k-2")


def test_a_recorded_key_holds_its_command_refund_and_version() -> None:
    recorded = CommandKey.record(actor("manager:ann"), "k-1", "approve", "f" * 64, REFUND, 4, T0)

    assert recorded.id == CommandKey.id_for(actor("manager:ann"), "k-1")
    assert (recorded.command, recorded.refund_id, recorded.version) == ("approve", REFUND, 4)
    recorded.check("f" * 64)  # the same content passes


def test_a_recorded_key_refuses_other_content() -> None:
    recorded = CommandKey.record(actor("manager:ann"), "k-1", "approve", "f" * 64, REFUND, 4, T0)

    with pytest.raises(IdempotencyConflict, match="'k-1' was already used for a different"):
        recorded.check("0" * 64)


def test_the_fingerprint_tells_commands_refunds_and_content_apart() -> None:
    base = fingerprint("reject", REFUND, "no proof")

    assert fingerprint("reject", REFUND, "no proof") == base
    assert fingerprint("escalate", REFUND, "no proof") != base
    assert fingerprint("reject", uuid4(), "no proof") != base
    assert fingerprint("reject", REFUND, "no proof.") != base
    assert fingerprint("approve", REFUND, None, "x") != fingerprint("approve", REFUND, "x", None)
    assert fingerprint("approve", REFUND, "None") != fingerprint("approve", REFUND, None)


def test_no_key_means_no_key_use() -> None:
    assert key_use(None, actor("manager:ann"), "reject", REFUND, "x") is None
    use = key_use(Keyed("k-1"), actor("manager:ann"), "reject", REFUND, "x")
    assert use is not None and use.id == CommandKey.id_for(actor("manager:ann"), "k-1")


def test_a_refund_command_s_key_is_stored_exactly_as_before() -> None:
    """Stored keys are hashed and decoded by their topic and fields: neither may change."""
    recorded = CommandKey.record(actor("manager:ann"), "k-1", "approve", "f" * 64, REFUND, 4, T0)
    (event,) = recorded.collect_events()

    assert isinstance(event, CommandKey.Recorded)
    assert get_topic(type(event)) == "ledger.domain.command_key:CommandKey.Recorded"
    assert event.payload.model_dump(mode="json") == {
        "actor": "manager:ann",
        "key": "k-1",
        "command": "approve",
        "fingerprint": "f" * 64,
        "refund_id": str(REFUND),
        "version": 4,
    }
    assert (recorded.order_id, recorded.changed) == (None, True)


def test_an_order_capture_s_key_holds_the_order_its_version_and_whether_it_changed() -> None:
    shop = actor("system:shop")
    recorded = CommandKey.record_on_order(shop, "k-1", "f" * 64, "O-1", 2, False, T0)
    (event,) = recorded.collect_events()

    assert recorded.id == CommandKey.id_for(shop, "k-1")
    assert (recorded.command, recorded.order_id, recorded.version) == ("capture_order", "O-1", 2)
    assert (recorded.changed, recorded.refund_id) == (False, None)
    assert get_topic(type(event)) == "ledger.domain.command_key:CommandKey.RecordedOnOrder"
    recorded.check("f" * 64)
    with pytest.raises(IdempotencyConflict, match="'k-1' was already used for a different"):
        recorded.check("0" * 64)


def test_an_order_capture_s_fingerprint_covers_the_order_and_every_fact() -> None:
    def print_of(
        order: str, customer: str, total: str, currency: str, on: str | None, address: str
    ) -> str:
        capture = OrderCapture.parse(order, customer, total, currency, on, address)
        use = capture_key_use(Keyed("k-1"), actor("system:shop"), order_id(capture), capture)
        assert use is not None
        return use.fingerprint

    def order_id(capture: OrderCapture) -> UUID:
        return OrderBalance.id_for(capture.order_id)

    base = print_of("O-1", "C-1", "48.00", "EUR", "2025-01-02", "1 Mill Road")

    assert print_of("O-1", "C-1", "48", "EUR", "2025-01-02", "1 Mill Road") == base  # parsed
    assert print_of("O-2", "C-1", "48.00", "EUR", "2025-01-02", "1 Mill Road") != base
    assert print_of("O-1", "C-2", "48.00", "EUR", "2025-01-02", "1 Mill Road") != base
    assert print_of("O-1", "C-1", "48.01", "EUR", "2025-01-02", "1 Mill Road") != base
    assert print_of("O-1", "C-1", "48.00", "USD", "2025-01-02", "1 Mill Road") != base
    assert print_of("O-1", "C-1", "48.00", "EUR", "2025-01-03", "1 Mill Road") != base
    assert print_of("O-1", "C-1", "48.00", "EUR", "2025-01-02", "2 Mill Road") != base
    assert print_of("O-1", "C-1", "48.00", "EUR", None, "1 Mill Road") != base
