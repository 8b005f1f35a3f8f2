"""A command's idempotency key: scoped by its actor, and refusing other content."""

from __future__ import annotations

from uuid import uuid4

import pytest

from ledger.app.keys import Keyed, fingerprint, key_use
from ledger.domain.command_key import CommandKey
from ledger.domain.errors import IdempotencyConflict

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
