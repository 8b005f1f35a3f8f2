"""Racing requests over HTTP: of two approvals of one refund exactly one wins, and two
identical keyed requests store one refund.

Each racer has its own client and thread; a barrier releases both requests at once.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from .http_paths import (
    assert_problem,
    fresh,
    fresh_request,
    get,
    post,
)
from .http_support import Server

ROUNDS = 10
LOSING_CODES = ("illegal-transition", "concurrency-conflict")


@pytest.fixture
def server(http_server: Server) -> Server:
    """The session's server on each back end in turn."""
    return http_server


def race(*calls: Callable[[], httpx.Response]) -> list[httpx.Response]:
    """Run the calls in threads of their own, released together by a barrier."""
    barrier = threading.Barrier(len(calls))

    def run(call: Callable[[], httpx.Response]) -> httpx.Response:
        barrier.wait(timeout=10)
        return call()

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


def approval(client: httpx.Client, path: str) -> Callable[[], httpx.Response]:
    return lambda: client.post(path, json={})


def keyed(client: httpx.Client, body: object, key: str) -> Callable[[], httpx.Response]:
    return lambda: client.post("/refunds", json=body, headers={"Idempotency-Key": key})


def test_of_two_concurrent_approvals_exactly_one_wins(server: Server) -> None:
    with (
        server.client("agent:ann") as agent,
        server.client("manager:bob") as bob,
        server.client("manager:mia") as mia,
    ):
        for _ in range(ROUNDS):
            rid = post(agent, "/refunds", fresh_request(amount="200.00"), 201)["id"]
            path = f"/refunds/{rid}/approvals"

            answers = race(*(approval(client, path) for client in (bob, mia)))

            statuses = sorted(answer.status_code for answer in answers)
            assert statuses == [200, 409], [answer.text for answer in answers]
            won = next(a for a in answers if a.status_code == 200).json()
            lost = next(a for a in answers if a.status_code == 409)
            code = lost.json()["code"]
            assert code in LOSING_CODES, lost.text
            assert_problem(lost, 409, code)
            assert (won["status"], won["approved_amount"]) == ("approved", "200.00")
            events = get(agent, f"/refunds/{rid}/history")
            approvals = [e for e in events if e["type"] == "Approved"]
            assert len(approvals) == 1, events
            assert approvals[0]["actor"] in ("manager:bob", "manager:mia")
            assert get(agent, f"/refunds/{rid}") == won


def test_two_concurrent_requests_with_one_key_store_one_refund(server: Server) -> None:
    with server.client("agent:ann") as first, server.client("agent:ann") as second:
        for _ in range(3):
            body, key = fresh_request(), fresh("K")

            answers = race(*(keyed(client, body, key) for client in (first, second)))

            texts = [answer.text for answer in answers]
            fresh_answers = [a for a in answers if a.status_code == 201]
            fresh_answers = [a for a in fresh_answers if "idempotent-replayed" not in a.headers]
            assert len(fresh_answers) == 1, texts
            created = fresh_answers[0]
            other = answers[1] if answers[0] is created else answers[0]
            if other.status_code == 409:
                assert_problem(other, 409, "idempotency-in-progress")
            else:
                assert other.status_code == 201, texts
                assert other.headers["idempotent-replayed"] == "true"
                assert other.content == created.content
            listed = get(first, "/refunds", customer=body["customer_id"])
            assert [row["id"] for row in listed] == [created.json()["id"]]


def test_two_concurrent_requests_on_one_order_never_exceed_its_total(server: Server) -> None:
    with server.client("agent:ann") as ann, server.client("agent:amy") as amy:
        for _ in range(5):
            order, owner = fresh("O"), fresh("C")  # an order has one owner
            bodies = [
                fresh_request(order_id=order, customer_id=owner, amount="200.00") for _ in range(2)
            ]

            answers = race(*(request(c, b) for c, b in zip((ann, amy), bodies, strict=True)))

            statuses = sorted(answer.status_code for answer in answers)
            assert statuses[0] == 201 and statuses[1] in (409, 422), [a.text for a in answers]
            lost = next(a for a in answers if a.status_code != 201)
            expected = {409: "concurrency-conflict", 422: "amount-exceeds-refundable"}
            assert_problem(lost, lost.status_code, expected[lost.status_code])
            listed = get(ann, "/refunds", order=order)
            assert [row["requested_amount"] for row in listed] == ["200.00"]


def request(client: httpx.Client, body: object) -> Callable[[], httpx.Response]:
    return lambda: client.post("/refunds", json=body)
