"""The owner of a pending Idempotency-Key as stored, and how a process's start is read."""

from __future__ import annotations

import pytest

from ledger.store.owners import Owner, start_time

LIVE = "4242 (ledger) S 1 4242 4242 0 -1 4194560 9 0 0 0 3 1 0 0 20 0 3 0 1435869 9 9"


def test_an_owner_reads_back_as_it_was_stored() -> None:
    owner = Owner(host="web-1", pid=4242, token=2**62 + 7, machine="web-1/b/pid:[4]", started="9")

    assert Owner.loads(owner.dumps()) == owner
    assert owner.name == f"web-1:4242:{2**62 + 7:016x}"


@pytest.mark.parametrize("text", ["", "not json", "[]", '{"host": "h"}', '{"pid": "x"}'])
def test_text_that_is_no_owner_reads_as_none(text: str) -> None:
    assert Owner.loads(text) is None


def test_the_start_time_is_field_22_of_the_stat_line() -> None:
    assert start_time(LIVE) == "1435869"


def test_a_command_name_with_brackets_and_spaces_does_not_shift_the_fields() -> None:
    odd = LIVE.replace("(ledger)", "(a) S 1 (b)")

    assert start_time(odd) == "1435869"


@pytest.mark.parametrize("state", ["Z", "X"])
def test_a_zombie_or_dead_process_has_no_start_time(state: str) -> None:
    assert start_time(LIVE.replace(") S ", f") {state} ")) is None
