"""`Idempotency-Key` over HTTP: a retry gets the first answer and stores nothing more.

One `ledger serve` per back end for the module; every test works on refunds of its own.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from psycopg import sql

from ledger.bootstrap import bootstrap
from ledger.config import Settings
from ledger.store.replays import TABLE
from ledger.store.tracking import open_store

from .http_paths import (
    assert_problem,
    days_ago,
    fresh,
    fresh_request,
    get,
)
from .http_support import Server, last_event_id


@pytest.fixture
def server(http_server: Server) -> Server:
    """The session's server on each back end in turn."""
    return http_server


def keyed(client: httpx.Client, path: str, key: str, body: Any) -> httpx.Response:
    return client.post(path, json=body, headers={"Idempotency-Key": key})


def twice(
    server: Server, client: httpx.Client, path: str, body: Any, status: int = 200
) -> dict[str, Any]:
    """POST with a fresh key, then again: the retry answers the same and stores nothing."""
    key = fresh("K")
    first = keyed(client, path, key, body)
    assert first.status_code == status, f"{path} -> {first.status_code} {first.text}"
    assert "idempotent-replayed" not in first.headers
    stored = last_event_id(server.database_url)

    again = keyed(client, path, key, body)

    assert (again.status_code, again.content) == (first.status_code, first.content), path
    assert again.headers["idempotent-replayed"] == "true"
    assert again.headers["content-type"] == first.headers["content-type"]
    assert again.headers.get("location") == first.headers.get("location")
    assert last_event_id(server.database_url) == stored, f"{path}: the retry stored events"
    found: dict[str, Any] = first.json()
    return found


def test_retried_request_gets_the_same_refund_and_stores_one_set_of_events(
    server: Server,
) -> None:
    body = fresh_request()
    with server.client("agent:ann") as agent:
        before = last_event_id(server.database_url)
        refund = twice(server, agent, "/refunds", body, 201)
        listed = get(agent, "/refunds", customer=body["customer_id"])

    assert [row["id"] for row in listed] == [refund["id"]]
    assert last_event_id(server.database_url) > before


def test_same_key_with_another_body_is_refused_and_stores_nothing(server: Server) -> None:
    body, key = fresh_request(), fresh("K")
    with server.client("agent:ann") as agent:
        assert keyed(agent, "/refunds", key, body).status_code == 201
        stored = last_event_id(server.database_url)

        other = keyed(agent, "/refunds", key, {**body, "amount": "31.00"})

        problem = assert_problem(other, 409, "idempotency-key-reused")
        assert key in problem["detail"]
        assert last_event_id(server.database_url) == stored
        assert len(get(agent, "/refunds", customer=body["customer_id"])) == 1


def test_keys_belong_to_the_actor_that_sent_them(server: Server) -> None:
    body, key = fresh_request(), fresh("K")
    with server.client("agent:ann") as ann, server.client("agent:amy") as amy:
        first = keyed(ann, "/refunds", key, body)
        second = keyed(amy, "/refunds", key, body)

    assert (first.status_code, second.status_code) == (201, 201), second.text
    assert "idempotent-replayed" not in second.headers
    assert first.json()["id"] != second.json()["id"]
    assert second.json()["requested_by"] == "agent:amy"
    with server.client("auditor:aud") as auditor:
        stored = [get(auditor, f"/refunds/{r.json()['id']}/history")[0] for r in (first, second)]
    keys = [event["idempotency_key"] for event in stored]
    assert keys[0] != keys[1] and all(k.startswith(key + "#") for k in keys), keys


def test_a_refused_command_is_refused_again_on_retry(server: Server) -> None:
    with server.client("agent:ann") as agent, server.client("finance:fay") as finance:
        rid = agent.post("/refunds", json=fresh_request()).json()["id"]
        agent.post(f"/refunds/{rid}/cancellation", json={"reason": "mistake"})
        key = fresh("K")

        first = keyed(finance, f"/refunds/{rid}/payouts", key, {})
        stored = last_event_id(server.database_url)
        again = keyed(finance, f"/refunds/{rid}/payouts", key, {})

    assert_problem(first, 409, "illegal-transition")
    assert (again.status_code, again.content) == (409, first.content)
    assert again.headers["idempotent-replayed"] == "true"
    assert last_event_id(server.database_url) == stored


def kept_keys(server: Server, keys: list[str]) -> list[str]:
    """Which of `keys` have a row in the store of Idempotency-Keys."""
    app = bootstrap(Settings(database_url=server.database_url)).ledger
    try:
        with open_store(app).reading() as db:
            rows = db.rows(sql.SQL("SELECT idempotency_key FROM {}").format(sql.Identifier(TABLE)))
    finally:
        app.close()
    return [row["idempotency_key"] for row in rows if row["idempotency_key"] in keys]


def test_refused_requests_with_distinct_keys_leave_nothing_in_the_store(server: Server) -> None:
    keys = [fresh("K") for _ in range(5)]
    with server.client("auditor:aud") as auditor:  # auditors may not request refunds
        stored = last_event_id(server.database_url)
        answers = [keyed(auditor, "/refunds", key, fresh_request()) for key in keys]

    for answer in answers:
        assert_problem(answer, 403, "role-not-allowed")
    assert kept_keys(server, keys) == []
    assert last_event_id(server.database_url) == stored


def test_a_refusal_of_the_actor_is_not_replayed_but_refused_afresh(server: Server) -> None:
    """403 (the role) and a customer's 404 (another customer's refund) keep no key: a retry
    runs the command again, so a key never holds an answer its actor was not allowed."""
    with server.client("agent:ann") as agent:
        rid = agent.post("/refunds", json=fresh_request()).json()["id"]
    key = fresh("K")
    with server.client("verifier:vic") as verifier, server.client("customer:c-x") as customer:
        refused = [keyed(verifier, f"/refunds/{rid}/cancellation", key, {"reason": "no"})]
        refused.append(keyed(verifier, f"/refunds/{rid}/cancellation", key, {"reason": "no"}))
        hidden = [keyed(customer, f"/refunds/{rid}/notes", key, {"text": "x"}) for _ in "12"]

    for answer in refused:
        assert_problem(answer, 403, "role-not-allowed")
    for answer in hidden:
        assert_problem(answer, 404, "refund-not-found")
    assert all("idempotent-replayed" not in a.headers for a in (*refused, *hidden))
    assert refused[0].json()["request_id"] != refused[1].json()["request_id"]
    assert kept_keys(server, [key]) == []


def test_an_input_error_is_not_kept_so_the_corrected_body_can_use_the_key(
    server: Server,
) -> None:
    body, key = fresh_request(), fresh("K")
    with server.client("agent:ann") as agent:
        stored = last_event_id(server.database_url)
        wrong = keyed(agent, "/refunds", key, {**body, "amount": 30})
        assert_problem(wrong, 422, "invalid-input")
        assert last_event_id(server.database_url) == stored

        fixed = keyed(agent, "/refunds", key, body)

    assert fixed.status_code == 201, fixed.text
    assert "idempotent-replayed" not in fixed.headers
    assert fixed.json()["requested_amount"] == "30.00"


@pytest.mark.parametrize("key", ["two words", "k" * 200, ""], ids=["space", "long", "empty"])
def test_an_unusable_key_is_refused_with_400(server: Server, key: str) -> None:
    with server.client("agent:ann") as agent:
        stored = last_event_id(server.database_url)
        refused = keyed(agent, "/refunds", key, fresh_request())

    assert_problem(refused, 400, "invalid-idempotency-key")
    assert last_event_id(server.database_url) == stored


def test_every_post_route_replays_its_first_answer(server: Server) -> None:
    clients = {a: server.client(a) for a in ("agent:ann", "verifier:vic", "manager:bob")}
    clients |= {a: server.client(a) for a in ("finance:fay", "finance:flo", "disputes:dora")}
    agent, approver = clients["agent:ann"], clients["finance:fay"]
    finance = clients["finance:flo"]  # who approved does not pay out (separation of duties)
    try:
        rid = twice(server, agent, "/refunds", fresh_request(amount="200.00"), 201)["id"]
        path = f"/refunds/{rid}"
        twice(server, agent, f"{path}/notes", {"text": "called back"})
        twice(server, clients["manager:bob"], f"{path}/escalation", {"reason": "unsure"})
        twice(server, approver, f"{path}/approvals", {"note": "fine"})
        twice(server, finance, f"{path}/payouts", {"method": "bank_transfer"})
        twice(server, finance, f"{path}/payouts/failure", {"reason": "card expired"})
        twice(server, finance, f"{path}/payouts", {})
        reference = fresh("PSP")
        assert (
            twice(server, finance, f"{path}/payouts/settlement", {"reference": reference})["status"]
            == "paid"
        )
        twice(server, agent, f"{path}/disputes", {"reason": "customer insists"})
        resolution = {"outcome": "upheld", "rationale": "policy applied"}
        twice(server, clients["disputes:dora"], f"{path}/disputes/resolution", resolution)

        goods = fresh_request(reason="damaged", amount="80.00", purchased_on=days_ago(3))
        other = agent.post("/refunds", json=goods).json()["id"]
        verified = twice(server, clients["verifier:vic"], f"/refunds/{other}/verification", {})
        assert verified["status"] == "pending_approval"
        twice(server, clients["manager:bob"], f"/refunds/{other}/rejection", {"reason": "no"})
        third = agent.post("/refunds", json=fresh_request(amount="200.00")).json()["id"]
        twice(server, agent, f"/refunds/{third}/cancellation", {"reason": "mistake"})

        _reconciliation_replays(finance, reference)
    finally:
        for client in clients.values():
            client.close()


def _reconciliation_replays(finance: httpx.Client, reference: str) -> None:
    csv = f"reference,amount,currency,status,settled_at\n{reference},200.00,EUR,settled,"
    headers = {"Content-Type": "text/csv", "Idempotency-Key": fresh("K")}
    first = finance.post(
        "/reconciliations", content=csv + "2026-11-01T10:00:00Z\n", headers=headers
    )
    again = finance.post(
        "/reconciliations", content=csv + "2026-11-01T10:00:00Z\n", headers=headers
    )
    assert first.status_code == 200, first.text
    assert [m["reference"] for m in first.json()["matched"]] == [reference]
    assert (again.status_code, again.content) == (200, first.content)
    assert again.headers["idempotent-replayed"] == "true"


def test_a_retry_sent_the_moment_the_answer_arrives_is_replayed(server: Server) -> None:
    """The answer leaves the server only once it is kept: never 'still in progress' after."""
    with server.client("agent:ann") as agent:
        for _ in range(10):
            key, body = fresh("K"), fresh_request()
            first = keyed(agent, "/refunds", key, body)
            again = keyed(agent, "/refunds", key, body)
            assert first.status_code == 201, first.text
            assert (again.status_code, again.content) == (201, first.content), again.text
            assert again.headers["idempotent-replayed"] == "true"
