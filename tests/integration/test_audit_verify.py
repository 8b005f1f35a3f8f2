"""`audit verify` on both back ends: an intact ledger, then each kind of direct tampering."""

from __future__ import annotations

from typing import Any

import pytest

from ledger.app.service import RefundLedger
from ledger.audit.chains import Break, Report
from ledger.audit.rows import checkpoint_of, verify_store

from .support import AGENT, MANAGER, form
from .tamper import Tamper


@pytest.fixture
def refunds(app: RefundLedger) -> tuple[Any, Any]:
    """A refund with five events (request, verified, routed, approved, note) and one with three."""
    long = app.request(AGENT, form(order_id="O-1", amount="60.00"))
    app.approve(long.id, MANAGER, None, None)
    long = app.add_note(long.id, MANAGER, "paid by card")
    short = app.request(AGENT, form(order_id="O-2", amount="20.00"))
    assert (long.version, short.version) == (5, 3)
    return long, short


@pytest.fixture
def tamper(database_url: str) -> Tamper:
    return Tamper(database_url)


def first_break(app: RefundLedger) -> Break:
    report = verify_store(app)
    assert not report.intact
    return report.breaks[0]


def test_intact_ledger_verifies(app: RefundLedger, refunds: tuple[Any, Any]) -> None:
    report = verify_store(app)
    assert report == Report(refunds=2, events=8, breaks=[])
    assert checkpoint_of(app)[str(refunds[0].id)][0] == 5


def test_empty_ledger_verifies(app: RefundLedger) -> None:
    assert verify_store(app).intact


def test_changed_amount_in_a_middle_event_is_named(
    app: RefundLedger, refunds: tuple[Any, Any], tamper: Tamper
) -> None:
    long, _ = refunds
    tamper.replace_text(long.id, 4, '"amount":"60.00"', '"amount":"99.00"')
    assert first_break(app) == Break(
        str(long.id), 4, "does not match the hash in version 5 (one was altered)"
    )


def test_flipped_byte_is_a_break_not_a_crash(
    app: RefundLedger, refunds: tuple[Any, Any], tamper: Tamper
) -> None:
    long, _ = refunds
    for offset in range(0, 40):  # through the JSON syntax and the timestamp
        tamper.flip_byte(long.id, 2, offset)
        found = first_break(app)
        assert (found.refund_id, found.version) == (str(long.id), 2), (offset, found)
        tamper.flip_byte(long.id, 2, offset)
    assert verify_store(app).intact


def test_row_that_is_not_json_is_undecodable(
    app: RefundLedger, refunds: tuple[Any, Any], tamper: Tamper
) -> None:
    long, _ = refunds
    tamper.set_state(long.id, 3, b"\xff\x00 not json")
    found = first_break(app)
    assert (found.refund_id, found.version) == (str(long.id), 3)
    assert found.problem.startswith("undecodable")


def test_altered_newest_event_differs_from_the_checkpoint(
    app: RefundLedger, refunds: tuple[Any, Any], tamper: Tamper
) -> None:
    long, _ = refunds
    tamper.replace_text(long.id, 5, "paid by card", "paid by cash")
    assert first_break(app) == Break(str(long.id), 5, "altered (differs from the checkpoint)")


def test_deleted_middle_event_is_named(
    app: RefundLedger, refunds: tuple[Any, Any], tamper: Tamper
) -> None:
    long, _ = refunds
    tamper.delete(long.id, 3)
    assert first_break(app) == Break(
        str(long.id), 3, "missing or out of order (version 4 comes next)"
    )


def test_deleted_newest_event_is_caught_by_the_checkpoint(
    app: RefundLedger, refunds: tuple[Any, Any], tamper: Tamper
) -> None:
    _, short = refunds
    tamper.delete(short.id, 3)
    assert first_break(app) == Break(str(short.id), 3, "removed (the checkpoint records version 3)")


def test_deleted_refund_is_caught_by_the_checkpoint(
    app: RefundLedger, refunds: tuple[Any, Any], tamper: Tamper
) -> None:
    _, short = refunds
    tamper.delete(short.id)
    assert first_break(app) == Break(
        str(short.id), 1, "removed with all its events (the checkpoint records version 3)"
    )


def test_refund_missing_from_the_checkpoint_is_named(
    app: RefundLedger, refunds: tuple[Any, Any], tamper: Tamper
) -> None:
    long, _ = refunds
    tamper.delete_checkpoint(long.id)
    found = first_break(app)
    assert (found.refund_id, found.version) == (str(long.id), 1)


def test_event_inserted_after_the_newest_is_named(
    app: RefundLedger, refunds: tuple[Any, Any], tamper: Tamper
) -> None:
    _, short = refunds
    tamper.copy(short.id, 3, 4)
    found = first_break(app)
    assert (found.refund_id, found.version) == (str(short.id), 3)


def test_swapped_events_are_named(
    app: RefundLedger, refunds: tuple[Any, Any], tamper: Tamper
) -> None:
    long, _ = refunds
    tamper.swap(long.id, 2, 3)
    assert first_break(app) == Break(
        str(long.id), 2, "missing or out of order (version 3 comes next)"
    )


def test_every_broken_refund_is_reported_first_in_log_order(
    app: RefundLedger, refunds: tuple[Any, Any], tamper: Tamper
) -> None:
    long, short = refunds
    tamper.delete(short.id, 2)
    tamper.delete(long.id, 2)
    report = verify_store(app)
    assert [(b.refund_id, b.version) for b in report.breaks] == [
        (str(long.id), 2),
        (str(short.id), 2),
    ]


def test_a_failed_save_leaves_the_checkpoint_as_it_was(
    app: RefundLedger, refunds: tuple[Any, Any], make_app: Any, database_url: str
) -> None:
    long, _ = refunds
    stale = app.get(long.id)
    other = make_app(database_url)
    other.add_note(long.id, MANAGER, "first writer")
    stale.add_note(MANAGER, "stale writer", app.policy, app.clock())
    with pytest.raises(Exception, match="(?i)integrity|unique|duplicate"):
        app.save(stale)
    assert checkpoint_of(app)[str(long.id)][0] == 6
    assert verify_store(app).intact


def test_refund_written_between_scan_and_checkpoint_read_is_not_reported(
    app: RefundLedger, refunds: tuple[Any, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    long, _ = refunds
    app.add_note(long.id, MANAGER, "written while verify runs")
    stale = {**checkpoint_of(app), str(long.id): (5, "as read before the note")}
    real = app.recorder.select_checkpoint  # type: ignore[attr-defined]
    reads = iter([stale])
    monkeypatch.setattr(app.recorder, "select_checkpoint", lambda: next(reads, None) or real())
    assert verify_store(app).intact
