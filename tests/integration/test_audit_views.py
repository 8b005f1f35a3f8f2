"""`audit verify --views`: the read models rebuilt from the events and compared row by row
with the stored ones; an edited, removed or inserted row is named."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from ledger.app.service import RefundLedger
from ledger.app.tokens import Tokens
from ledger.audit.views_check import verify_views
from ledger.demo import run_demo
from ledger.domain.actor import Actor
from ledger.projections.runner import Projections

from .tamper import Tamper

BACKENDS = ("sqlite", "postgres")  # the edits come through another connection


@pytest.fixture(params=BACKENDS, ids=BACKENDS)
def database_url(request: pytest.FixtureRequest) -> str:
    return str(request.getfixturevalue(f"{request.param}_url"))


def _projections(make_app: Callable[..., RefundLedger], database_url: str) -> Projections:
    run_demo(lambda clock: make_app(database_url, clock=clock), lambda line: None)
    return Projections(make_app(database_url))


def test_views_rebuilt_from_the_events_equal_the_stored_ones(
    make_app: Callable[..., RefundLedger], database_url: str
) -> None:
    report = verify_views(_projections(make_app, database_url))
    assert report.intact, report.problems
    assert report.tables == 5 and report.rows > 300  # 40 refunds, their trail and payouts


def test_an_edited_trail_row_that_hides_an_approver_is_named(
    make_app: Callable[..., RefundLedger], database_url: str
) -> None:
    projections = _projections(make_app, database_url)
    projections.catch_up()
    tamper = Tamper(database_url)
    refund_id, version = tamper._execute(
        "SELECT refund_id, version FROM decision_trail WHERE type = 'Approved' "
        "AND actor = 'finance:fay' ORDER BY seq LIMIT 1"
    )[0]
    tamper._execute(
        "UPDATE decision_trail SET actor = 'manager:nobody' WHERE refund_id = ? AND version = ?",
        refund_id,
        version,
    )
    report = verify_views(projections)
    assert report.problems[0] == (
        f"decision_trail refund_id {refund_id} version {version}: actor is 'manager:nobody', "
        "the events make it 'finance:fay'"
    )


def test_a_removed_and_an_inserted_row_are_named(
    make_app: Callable[..., RefundLedger], database_url: str
) -> None:
    projections = _projections(make_app, database_url)
    projections.catch_up()
    tamper = Tamper(database_url)
    (refund_id,) = tamper._execute("SELECT refund_id FROM kpi_refunds ORDER BY refund_id LIMIT 1")[
        0
    ]
    tamper._execute("DELETE FROM kpi_refunds WHERE refund_id = ?", refund_id)
    assert verify_views(projections).problems == [
        f"kpi_refunds refund_id {refund_id}: missing (the events make this row)"
    ]
    tamper._execute(
        "INSERT INTO payout_refunds (refund_id) VALUES ('00000000-0000-0000-0000-000000000000')"
    )
    problems = verify_views(projections).problems
    assert (
        "payout_refunds refund_id 00000000-0000-0000-0000-000000000000: a row the events do "
        "not make" in problems
    )


def test_an_edited_token_row_is_named_and_a_deleted_one_too(
    make_app: Callable[..., RefundLedger], database_url: str
) -> None:
    projections = _projections(make_app, database_url)
    tokens = Tokens.open(make_app(database_url))
    kept = tokens.issue(Actor.parse("customer:c-1"), 30)
    gone = tokens.issue(Actor.parse("agent:ann"), 30)
    assert not verify_views(projections, tokens).problems
    tamper = Tamper(database_url)
    tamper._execute("UPDATE api_tokens SET actor = 'finance:mallory' WHERE id = ?", kept.id)
    tamper._execute("DELETE FROM api_tokens WHERE id = ?", gone.id)
    problems = verify_views(projections, tokens).problems
    assert sorted(problems) == sorted(
        [
            f"api_tokens token {kept.id}: its actor is not the one its events record",
            f"api_tokens token {gone.id}: its row is gone (its events issue it)",
        ]
    )
