"""Actors are ROLE:NAME; NAME identifies the person, ROLE the capacity they act in."""

from __future__ import annotations

import pytest

from ledger.domain.actor import SYSTEM_POLICY, Actor
from ledger.domain.errors import InvalidActor
from ledger.domain.vocabulary import ROLES


@pytest.mark.parametrize("role", ROLES)
def test_every_role_parses(role: str) -> None:
    parsed = Actor.parse(f"{role}:bob")

    assert (parsed.role, parsed.name) == (role, "bob")
    assert str(parsed) == f"{role}:bob"


def test_names_may_hold_email_like_characters() -> None:
    assert Actor.parse("agent:ann.lee+eu@shop-1_x").name == "ann.lee+eu@shop-1_x"


def test_role_and_name_are_folded_to_lower_case() -> None:
    assert Actor.parse("  Manager:BOB ") == Actor(role="manager", name="bob")


def test_text_without_colon_is_refused() -> None:
    with pytest.raises(InvalidActor, match="'bob': expected ROLE:NAME, e.g. manager:bob"):
        Actor.parse("bob")


def test_unknown_role_is_refused() -> None:
    with pytest.raises(InvalidActor, match="unknown role 'boss'; roles are customer, agent"):
        Actor.parse("boss:bob")


def test_empty_name_is_refused() -> None:
    with pytest.raises(InvalidActor, match="NAME must be 1-100 letters"):
        Actor.parse("manager:")


@pytest.mark.parametrize("name", ["bob smith", "bob:x", "-bob", "bob/x", "bøb"])
def test_name_with_bad_characters_is_refused(name: str) -> None:
    with pytest.raises(InvalidActor, match="NAME must be 1-100 letters, digits or"):
        Actor.parse(f"manager:{name}")


def test_name_longer_than_100_characters_is_refused() -> None:
    assert Actor.parse("agent:" + "a" * 100).name == "a" * 100
    with pytest.raises(InvalidActor, match="NAME must be 1-100"):
        Actor.parse("agent:" + "a" * 101)


def test_same_name_in_two_roles_is_the_same_person() -> None:
    assert Actor.parse("manager:mia").person == Actor.parse("disputes:mia").person
    assert Actor.parse("manager:mia") != Actor.parse("disputes:mia")


def test_person_comparison_ignores_case() -> None:
    assert Actor.parse("manager:Mia").person == Actor.parse("finance:MIA").person


def test_different_names_are_different_people() -> None:
    assert Actor.parse("manager:mia").person != Actor.parse("manager:max").person


def test_policy_acts_as_system_policy() -> None:
    assert str(SYSTEM_POLICY) == "system:policy"
    assert Actor.parse("system:policy") == SYSTEM_POLICY


@pytest.mark.parametrize("text", ["system:policy", "System:Policy", " system:POLICY "])
def test_nobody_may_act_as_the_ledgers_own_policy(text: str) -> None:
    with pytest.raises(InvalidActor) as refused:
        Actor.acting(text)

    assert refused.value.message == (
        "invalid actor 'system:policy': it is the ledger's own actor (its automatic decisions); "
        "act as yourself"
    )


def test_an_acting_actor_is_parsed_as_any_other() -> None:
    assert Actor.acting("System:Storefront") == Actor(role="system", name="storefront")
    assert Actor.acting("manager:bob") == Actor.parse("manager:bob")


def test_acting_refuses_malformed_actors_as_parse_does() -> None:
    with pytest.raises(InvalidActor, match="expected ROLE:NAME"):
        Actor.acting("bob")


def test_the_policy_actor_still_parses_for_stored_events_and_filters() -> None:
    assert Actor.parse("system:policy") == SYSTEM_POLICY
    with pytest.raises(InvalidActor, match="the ledger's own actor"):
        SYSTEM_POLICY.require_acting()
