"""`ledger audit search`, run in-process: decisions across refunds from the trail view."""

from __future__ import annotations

from ledger.app.commands import RefundRequestIn
from ledger.bootstrap import bootstrap
from ledger.config import Settings
from ledger.domain.actor import Actor

from ..in_process import Ledger

AGENT, MANAGER = Actor.parse("agent:ann"), Actor.parse("manager:bob")


def _seed(url: str) -> list[str]:
    """Three refunds above auto-approval: the first approved, the second rejected by bob."""
    app = bootstrap(Settings(database_url=url)).ledger
    try:
        refunds = []
        for n in range(3):
            form = RefundRequestIn.model_validate(
                dict(
                    order_id=f"O-{n}",
                    customer_id=f"C-{n}",
                    amount="80.00",
                    currency="EUR",
                    order_total="100.00",
                    reason="billing_error",
                )
            )
            refunds.append(app.request(AGENT, form).id)
        app.approve(refunds[0], MANAGER, None, None)
        app.reject(refunds[1], MANAGER, "duplicate")
        return [str(refund_id) for refund_id in refunds]
    finally:
        app.close()


def test_search_filters_by_actor_type_refund_and_time(ledger: Ledger) -> None:
    ids = _seed(ledger.database_url)
    everything = ledger.ok("audit", "search")
    assert {e["refund_id"] for e in everything} == set(ids)
    by_bob = ledger.ok("audit", "search", "--actor", "manager:bob")
    assert [(e["refund_id"], e["type"]) for e in by_bob] == [
        (ids[0], "Approved"),
        (ids[1], "Rejected"),
    ]
    assert by_bob[0]["rule"] and by_bob[0]["policy_version"]
    assert {e["refund_id"] for e in ledger.ok("audit", "search", "--type", "requested")} == set(ids)
    assert [e["type"] for e in ledger.ok("audit", "search", "--type", "Rejected")] == ["Rejected"]
    mine = ledger.ok("audit", "search", "--refund", ids[2])
    assert [e["version"] for e in mine] == list(range(1, len(mine) + 1))
    assert ledger.ok("audit", "search", "--until", "2000-01-01") == []
    assert ledger.ok("audit", "search", "--since", everything[0]["at"]) == everything
    assert len(ledger.ok("audit", "search", "--limit", "2")) == 2
    human = ledger.run("audit", "search", "--actor", "manager:bob")
    assert human.code == 0 and ids[0] in human.stdout


def test_search_sees_events_stored_after_the_last_search(ledger: Ledger) -> None:
    ids = _seed(ledger.database_url)
    before = ledger.ok("audit", "search", "--refund", ids[2])
    assert ledger.run("note", ids[2], "--actor", "agent:ann", "--text", "called").code == 0
    after = ledger.ok("audit", "search", "--refund", ids[2])
    assert [e["type"] for e in after] == [e["type"] for e in before] + ["NoteAdded"]


def test_bad_search_input_exits_2_with_one_line(ledger: Ledger) -> None:
    for args, says in (
        (("--since", "yesterday"), "invalid --since"),
        (("--type", "Bogus"), "unknown event type"),
        (("--actor", "bob"), "ROLE:NAME"),
        (("--refund", "nope"), "refund"),
        (("--limit", "0"), "--limit"),
    ):
        outcome = ledger.run("audit", "search", *args)
        assert outcome.code == 2, outcome.describe()
        assert outcome.stderr.count("\n") == 1, outcome.describe()
        assert says in outcome.stderr, outcome.describe()
