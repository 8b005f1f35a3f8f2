"""Idempotency keys (docs/product.md §2.2): a replay returns the original refund; other content
is refused."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from ledger.app.keys import Keyed
from ledger.app.service import RefundLedger
from ledger.domain.actor import Actor
from ledger.domain.errors import IdempotencyConflict

from .support import AGENT, event_count, form


def test_same_key_and_content_returns_the_same_refund_and_stores_nothing(
    app: RefundLedger,
) -> None:
    first = app.request(AGENT, form(), Keyed("portal-123"))
    stored = event_count(app)

    again = app.request(AGENT, form(), Keyed("portal-123"))

    assert again.id == first.id
    assert again.version == first.version
    assert event_count(app) == stored
    assert list(app.refund_ids()) == [first.id]


def test_same_key_survives_a_restart_of_the_application(
    make_app: Callable[..., RefundLedger], database_url: str, app: RefundLedger
) -> None:
    first = app.request(AGENT, form(), Keyed("portal-7"))
    other = make_app(database_url)

    assert other.request(AGENT, form(), Keyed("portal-7")).id == first.id
    assert len(list(other.refund_ids())) == 1


@pytest.mark.parametrize(
    ("actor", "changes"),
    [
        (AGENT, {"amount": "31.00"}),
        (AGENT, {"reason": "price_adjustment"}),
        (AGENT, {"note": "another note"}),
        (Actor.parse("agent:max"), {}),
    ],
    ids=["amount", "reason", "note", "actor"],
)
def test_same_key_with_different_content_is_refused_and_stores_nothing(
    app: RefundLedger, actor: Actor, changes: dict[str, str]
) -> None:
    first = app.request(AGENT, form(), Keyed("portal-123"))
    stored = event_count(app)

    with pytest.raises(IdempotencyConflict, match="'portal-123' was already used"):
        app.request(actor, form(**changes), Keyed("portal-123"))

    assert event_count(app) == stored
    assert app.get(first.id).version == first.version


def test_different_keys_make_different_refunds(app: RefundLedger) -> None:
    first = app.request(AGENT, form(), Keyed("k-1"))
    second = app.request(AGENT, form(), Keyed("k-2"))

    assert first.id != second.id
