"""LEDGER_DB_CONNECT_TIMEOUT and LEDGER_DB_STATEMENT_TIMEOUT: read, checked, passed on."""

from __future__ import annotations

import pytest

from ledger.config import Settings, persistence_env
from ledger.store.factories import POSTGRES_TOPIC, SQLITE_TOPIC
from ledger.store.timeouts import DbTimeouts, InvalidTimeout


def test_defaults_are_a_few_seconds() -> None:
    timeouts = DbTimeouts.from_env({})
    assert (timeouts.connect, timeouts.statement) == (3.0, 5.0)


def test_settings_read_both_variables() -> None:
    environ = {"LEDGER_DB_CONNECT_TIMEOUT": "1.5", "LEDGER_DB_STATEMENT_TIMEOUT": "0"}
    timeouts = DbTimeouts.from_env(environ)
    assert (timeouts.connect, timeouts.statement) == (1.5, 0.0)
    assert timeouts.libpq_connect == 2  # libpq's least
    assert timeouts.sqlite_lock == 3600  # 0 turns the statement timeout off, not the lock wait


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("LEDGER_DB_CONNECT_TIMEOUT", "soon"),
        ("LEDGER_DB_CONNECT_TIMEOUT", "0"),
        ("LEDGER_DB_CONNECT_TIMEOUT", "-1"),
        ("LEDGER_DB_STATEMENT_TIMEOUT", "nan"),
        ("LEDGER_DB_STATEMENT_TIMEOUT", "inf"),
        ("LEDGER_DB_STATEMENT_TIMEOUT", "86400"),
    ],
)
def test_a_bad_value_is_one_line_naming_the_variable(variable: str, value: str) -> None:
    with pytest.raises(InvalidTimeout) as refused:
        DbTimeouts.from_env({variable: value})
    assert refused.value.message.startswith(f"{variable} must be a number of seconds from ")
    assert repr(value) in refused.value.message and "\n" not in refused.value.message


def test_the_persistence_env_names_the_ledgers_factories_and_carries_the_timeouts() -> None:
    timeouts = DbTimeouts(connect=2.5, statement=7)
    sqlite = persistence_env("sqlite:///ledger.db", timeouts)
    postgres = persistence_env("postgresql://u:p@localhost/db", timeouts)
    assert sqlite["PERSISTENCE_MODULE"] == SQLITE_TOPIC
    assert postgres["PERSISTENCE_MODULE"] == POSTGRES_TOPIC
    for env in (sqlite, postgres):
        assert env["LEDGER_DB_CONNECT_TIMEOUT"] == "2.5"
        assert env["LEDGER_DB_STATEMENT_TIMEOUT"] == "7"


def test_settings_from_env_check_the_timeouts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEDGER_DB_STATEMENT_TIMEOUT", "2")
    assert Settings.from_env().timeouts.statement == 2.0
    monkeypatch.setenv("LEDGER_DB_STATEMENT_TIMEOUT", "two")
    with pytest.raises(InvalidTimeout):
        Settings.from_env()
