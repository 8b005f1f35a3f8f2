"""`ledger audit`, run in-process: verify the chains after each kind of tampering."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from ..in_process import Ledger
from ..tamper import Tamper


def seed(ledger: Ledger) -> tuple[str, str]:
    """A refund with five events and one with three; their ids."""
    long = ledger.request(amount="60.00")["id"]
    ledger.ok("approve", long, "--actor", "manager:bob")
    ledger.ok("note", long, "--actor", "manager:bob", "--text", "paid by card")
    short = ledger.request(amount="20.00", order="O-2")["id"]
    return long, short


def test_intact_ledger_verifies_with_exit_0(ledger: Ledger) -> None:
    seed(ledger)
    outcome = ledger.run("audit", "verify")
    assert outcome.code == 0, outcome.describe()
    assert "intact: 2 refunds, 8 events checked" in outcome.stdout
    assert ledger.ok("audit", "verify")["intact"] is True


Tampering = Callable[[Tamper, str, str], tuple[str, int]]


def _flip_byte(t: Tamper, long: str, short: str) -> tuple[str, int]:
    t.flip_byte(long, 2, 30)
    return long, 2


def _not_json(t: Tamper, long: str, short: str) -> tuple[str, int]:
    t.set_state(long, 3, b"{{{")
    return long, 3


def _delete_middle(t: Tamper, long: str, short: str) -> tuple[str, int]:
    t.delete(long, 3)
    return long, 3


def _delete_newest(t: Tamper, long: str, short: str) -> tuple[str, int]:
    t.delete(short, 3)
    return short, 3


def _delete_refund(t: Tamper, long: str, short: str) -> tuple[str, int]:
    t.delete(short)
    return short, 1


def _swap(t: Tamper, long: str, short: str) -> tuple[str, int]:
    t.swap(long, 3, 4)
    return long, 3


#: each tampering, and the (refund, version) where `audit verify` must find it
TAMPERINGS: dict[str, Tampering] = {
    "flip-byte": _flip_byte,
    "not-json": _not_json,
    "delete-middle": _delete_middle,
    "delete-newest": _delete_newest,
    "delete-refund": _delete_refund,
    "swap": _swap,
}


@pytest.mark.parametrize("kind", TAMPERINGS)
def test_tampering_exits_3_naming_refund_and_version(ledger: Ledger, kind: str) -> None:
    long, short = seed(ledger)
    refund_id, version = TAMPERINGS[kind](Tamper(ledger.database_url), long, short)

    outcome = ledger.run("audit", "verify")

    assert outcome.code == 3, outcome.describe()
    assert outcome.stdout == ""
    lines = outcome.stderr.splitlines()
    assert len(lines) == 1, outcome.describe()
    assert lines[0].startswith(f"error: integrity failure: refund {refund_id} version {version}:")


def test_json_report_names_the_first_break(ledger: Ledger) -> None:
    long, _ = seed(ledger)
    Tamper(ledger.database_url).delete(long, 2)
    outcome = ledger.run("audit", "verify", "--json")
    assert outcome.code == 3, outcome.describe()
    report: dict[str, Any] = outcome.json()
    assert report["intact"] is False
    assert report["first_break"]["refund_id"] == long
    assert report["first_break"]["version"] == 2


@pytest.mark.parametrize("command", ["verify", "export", "verify-bundle"])
def test_audit_commands_answer_help(tmp_path: Any, command: str) -> None:
    outcome = Ledger("sqlite:///unused.db", tmp_path).run("audit", command, "--help", db=False)
    assert outcome.code == 0, outcome.describe()
    assert list(tmp_path.iterdir()) == []


def test_exported_bundle_verifies_offline_and_an_edit_exits_3(
    ledger: Ledger, tmp_path: Any
) -> None:
    long, short = seed(ledger)
    bundle = tmp_path / "bundle.jsonl"
    exported = ledger.run("audit", "export", "--out", str(bundle), long, short)
    assert exported.code == 0, exported.describe()
    assert "2 refunds, 8 events" in exported.stdout

    offline = ledger.run("audit", "verify-bundle", str(bundle), db=False)
    assert offline.code == 0, offline.describe()
    assert "intact: 2 refunds, 8 events checked" in offline.stdout

    bundle.write_text(bundle.read_text().replace("paid by card", "paid by cash"))
    edited = ledger.run("audit", "verify-bundle", str(bundle), db=False)
    assert edited.code == 3, edited.describe()
    assert edited.stderr.startswith(f"error: integrity failure: refund {long} version 5:")


def test_not_a_bundle_exits_2_with_one_line(ledger: Ledger, tmp_path: Any) -> None:
    other = tmp_path / "notes.txt"
    other.write_text("hello\n")
    for path in (other, tmp_path / "missing.jsonl"):
        outcome = ledger.run("audit", "verify-bundle", str(path), db=False)
        assert outcome.code == 2, outcome.describe()
        assert len(outcome.stderr.splitlines()) == 1, outcome.describe()


def test_export_of_a_broken_ledger_exits_3_and_writes_nothing(
    ledger: Ledger, tmp_path: Any
) -> None:
    long, _ = seed(ledger)
    Tamper(ledger.database_url).delete(long, 4)
    out = tmp_path / "out"
    out.mkdir()
    outcome = ledger.run("audit", "export", "--out", str(out / "b.jsonl"))
    assert outcome.code == 3, outcome.describe()
    assert f"refund {long} version 4" in outcome.stderr
    assert list(out.iterdir()) == []
