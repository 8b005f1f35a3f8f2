"""An HTTP client's Idempotency-Key belongs to the actor who sent it: the application's key
for it names the actor, so one key from two actors makes two commands."""

from __future__ import annotations

from ledger.app.keys import actor_scoped
from ledger.domain.actor import Actor

ANN = Actor.parse("agent:ann")
BOB = Actor.parse("agent:bob")


def test_one_key_from_two_actors_is_two_keys_and_from_one_actor_the_same_key() -> None:
    assert actor_scoped(ANN, "retry-1") == actor_scoped(ANN, "retry-1")
    assert actor_scoped(ANN, "retry-1") != actor_scoped(BOB, "retry-1")


def test_the_scoped_key_keeps_the_key_readable_and_no_key_stays_none() -> None:
    scoped = actor_scoped(ANN, "retry-1")

    assert scoped is not None and scoped.startswith("retry-1#")
    assert len(scoped.partition("#")[2]) == 16
    assert actor_scoped(ANN, None) is None
