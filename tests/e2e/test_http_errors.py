"""What the HTTP API answers to bad requests, and what operators see: problems, request ids,
the log, health, metrics, the OpenAPI document, a database outage and several workers."""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest
from psycopg import sql
from waiting import PATIENCE

from .http_paths import (
    assert_problem,
    fresh,
    fresh_request,
    post,
)
from .http_support import Server, last_event_id, running_server

SPEC_ROUTES = {
    ("post", "/refunds"),
    ("post", "/refunds/{refund_id}/verification"),
    ("post", "/refunds/{refund_id}/approvals"),
    ("post", "/refunds/{refund_id}/rejection"),
    ("post", "/refunds/{refund_id}/escalation"),
    ("post", "/refunds/{refund_id}/cancellation"),
    ("post", "/refunds/{refund_id}/payouts"),
    ("post", "/refunds/{refund_id}/payouts/settlement"),
    ("post", "/refunds/{refund_id}/payouts/failure"),
    ("post", "/refunds/{refund_id}/disputes"),
    ("post", "/refunds/{refund_id}/disputes/resolution"),
    ("post", "/refunds/{refund_id}/notes"),
    ("get", "/refunds/{refund_id}"),
    ("get", "/refunds/{refund_id}/history"),
    ("get", "/refunds"),
    ("get", "/audit/search"),
    ("get", "/reports/kpis"),
    ("post", "/reconciliations"),
    ("get", "/healthz"),
    ("get", "/metrics"),
}
OPEN_ROUTES = {"/healthz"}
BIG = 64 * 1024 + 1
JSON = {"Content-Type": "application/json"}


@pytest.fixture
def server(http_server: Server) -> Server:
    """The session's server on each back end in turn."""
    return http_server


@pytest.fixture
def agent(server: Server) -> Iterator[httpx.Client]:
    with server.client("agent:ann") as client:
        yield client


def oversized() -> bytes:
    return b'{"order_id": "O-1", "note": "' + b"x" * BIG + b'"}'


# --- bodies ---


def test_a_body_over_64_kib_is_refused_with_413_and_nothing_is_stored(
    server: Server, agent: httpx.Client
) -> None:
    stored = last_event_id(server.database_url)
    headers = {"Content-Type": "application/json"}

    declared = agent.post("/refunds", content=oversized(), headers=headers)

    def chunks() -> Iterator[bytes]:
        body = oversized()
        for start in range(0, len(body), 8192):
            yield body[start : start + 8192]

    streamed = agent.post("/refunds", content=chunks(), headers=headers)

    assert_problem(declared, 413, "body-too-large")
    assert_problem(streamed, 413, "body-too-large")
    assert last_event_id(server.database_url) == stored


def test_an_oversized_settlement_file_is_refused_and_its_key_is_not_kept(
    server: Server,
) -> None:
    header = b"reference,amount,currency,status,settled_at\n"
    rows = b"PAY-X,1.00,EUR,settled,2026-11-01T10:00:00Z\n" * (BIG // 40)
    headers = {"Content-Type": "text/csv", "Idempotency-Key": fresh("K")}
    with server.client("finance:fay") as finance:
        refused = finance.post("/reconciliations", content=header + rows, headers=headers)
        small = finance.post("/reconciliations", content=header, headers=headers)

    assert_problem(refused, 413, "body-too-large")
    assert small.status_code == 200, small.text
    assert "idempotent-replayed" not in small.headers


def test_malformed_json_is_a_400_problem(server: Server, agent: httpx.Client) -> None:
    stored = last_event_id(server.database_url)
    response = agent.post(
        "/refunds", content=b'{"order_id": "O-1",', headers={"Content-Type": "application/json"}
    )
    assert_problem(response, 400, "malformed-body")
    assert last_event_id(server.database_url) == stored


def _request_body(reason: bytes) -> bytes:
    """A request of a fresh order whose `reason` is `reason`, as raw bytes."""
    return json.dumps(fresh_request(reason="R")).encode().replace(b'"R"', reason)


@pytest.mark.parametrize(
    ("reason", "why"),
    [
        (b'"\xff\xfe"', "the body is not valid UTF-8 (byte "),
        (b"[" * 30_000 + b"]" * 30_000, "the body nests arrays or objects deeper than the server"),
        (b"9" * 5_000, "the body has a number of more than 4300 digits"),
    ],
    ids=["not-utf-8", "nested-30000-deep", "number-of-5000-digits"],
)
def test_a_body_past_the_parser_is_a_malformed_body_problem_and_stores_nothing(
    server: Server, agent: httpx.Client, reason: bytes, why: str
) -> None:
    stored = last_event_id(server.database_url)
    key = {"Idempotency-Key": fresh("K"), **JSON}

    refused = agent.post("/refunds", content=_request_body(reason), headers=key)

    problem = assert_problem(refused, 400, "malformed-body")
    assert problem["detail"].startswith(why), problem
    assert last_event_id(server.database_url) == stored
    corrected = agent.post("/refunds", json=fresh_request(), headers=key)  # the key is not kept
    assert corrected.status_code == 201, corrected.text
    assert "idempotent-replayed" not in corrected.headers


@pytest.mark.parametrize("bearer", [None, "Bearer nonsense", "Basic YTpi"], ids=str)
def test_without_a_usable_token_a_bad_request_is_a_401_before_its_body_is_read(
    server: Server, bearer: str | None
) -> None:
    stored = last_event_id(server.database_url)
    auth = {} if bearer is None else {"Authorization": bearer}
    with server.client() as anonymous:
        answers = [
            anonymous.post("/refunds", content=b'{"order_id": ', headers={**auth, **JSON}),
            anonymous.post("/refunds", json={"actor": "manager:bob"}, headers=auth),
            anonymous.post(
                f"/refunds/{uuid.uuid4()}/notes", json={}, headers={**auth, "Idempotency-Key": "<>"}
            ),
            anonymous.post("/reconciliations", content=b"\xff", headers=auth),
            anonymous.get("/refunds", params={"limit": "0", "as_of": "x" * 65}, headers=auth),
            anonymous.get("/no/such/route", headers=auth),  # nor does it learn which routes exist
        ]
    for response in answers:
        problem = assert_problem(response, 401, "invalid-token")
        assert response.headers["www-authenticate"] == 'Bearer realm="ledger"'
        assert "bearer" in problem["detail"].lower() or "token" in problem["detail"], problem
    assert last_event_id(server.database_url) == stored


@pytest.mark.parametrize(
    "change",
    [{"actor": "manager:bob"}, {"amount": 30}, {"amount": 30.5}, {"order_total": 250}],
    ids=["actor", "int-amount", "float-amount", "number-total"],
)
def test_an_actor_in_the_body_or_a_json_number_amount_is_refused_with_422(
    server: Server, agent: httpx.Client, change: dict[str, object]
) -> None:
    stored = last_event_id(server.database_url)
    response = agent.post("/refunds", json=fresh_request(**change))
    problem = assert_problem(response, 422, "invalid-input")
    assert next(iter(change)) in problem["detail"]
    assert last_event_id(server.database_url) == stored


def test_an_actor_in_a_command_body_is_refused_too(server: Server, agent: httpx.Client) -> None:
    rid = post(agent, "/refunds", fresh_request(amount="200.00"), 201)["id"]
    with server.client("manager:bob") as manager:
        response = manager.post(f"/refunds/{rid}/approvals", json={"actor": "finance:fay"})
        assert_problem(response, 422, "invalid-input")
        assert manager.get(f"/refunds/{rid}").json()["status"] == "pending_approval"


# --- routing, problems and request ids ---


def test_unknown_route_and_wrong_method_are_problems(agent: httpx.Client) -> None:
    assert_problem(agent.get("/no/such/route"), 404, "not-found")
    refused = agent.delete("/refunds")
    assert_problem(refused, 405, "method-not-allowed")
    assert set(refused.headers["Allow"].split(", ")) == {"GET", "POST"}
    refused = agent.get(f"/refunds/{uuid.uuid4()}/approvals")
    assert_problem(refused, 405, "method-not-allowed")
    assert refused.headers["Allow"] == "POST"


def test_a_sane_request_id_is_kept_and_an_insane_one_replaced(
    server: Server, agent: httpx.Client
) -> None:
    sane = fresh("trace")
    kept = agent.get("/no/such/route", headers={"X-Request-Id": sane})
    assert kept.headers["x-request-id"] == sane
    assert assert_problem(kept, 404, "not-found")["request_id"] == sane

    for insane in ("has spaces in it", "x" * 65, "<script>", "a\\b"):
        replaced = agent.get("/healthz", headers={"X-Request-Id": insane})
        assert replaced.status_code == 200
        assert re.fullmatch(r"[0-9a-f]{32}", replaced.headers["x-request-id"]), insane

    ok = agent.post("/refunds", json=fresh_request(), headers={"X-Request-Id": sane + "-2"})
    assert ok.headers["x-request-id"] == sane + "-2"
    lines = [line for line in server.log_lines(sane, count=2) if sane in line]
    assert len(lines) == 2, lines
    assert " GET /no/such/route 404 " in lines[0] and " POST /refunds 201 " in lines[1]
    assert "actor=agent:ann" in lines[1]


def test_no_answer_to_odd_requests_carries_a_traceback(agent: httpx.Client) -> None:
    odd = [
        (agent.get("/refunds/not-a-uuid"), 422, "invalid-refund-id"),
        (agent.get(f"/refunds/{uuid.uuid4()}"), 404, "refund-not-found"),
        (agent.get("/refunds", params={"limit": "0"}), 422, "invalid-input"),
        (agent.get("/refunds", params={"cursor": "zzz"}), 422, "invalid-refund-id"),
        (
            agent.get(f"/refunds/{uuid.uuid4()}", params={"as_of": "yesterday"}),
            422,
            "invalid-input",
        ),
        (agent.post("/refunds", content=b"\xff\xfe", headers=JSON), 400, "malformed-body"),
        (agent.post("/refunds", json=[1, 2]), 422, "invalid-input"),
        (agent.post("/refunds", json=fresh_request(currency="XXX")), 422, "invalid-currency"),
        (agent.post(f"/refunds/{uuid.uuid4()}/notes", json={"text": "x"}), 404, "refund-not-found"),
        (agent.get("/refunds", headers={"Authorization": "Bearer nonsense"}), 401, "invalid-token"),
    ]
    for response, status, code in odd:
        assert_problem(response, status, code)


# --- operations ---


def test_healthz_answers_json_with_what_it_checked(agent: httpx.Client) -> None:
    response = agent.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["database"], body["writable"]) == ("ok", "ok", "ok"), body
    assert isinstance(body["views_lag"], int) and body["views_lag"] >= 0
    assert [check["name"] for check in body["checks"]] == ["database", "writable", "views"]
    assert all(check["ok"] and check["detail"] for check in body["checks"]), body


def test_metrics_count_requests_latencies_and_commands_by_outcome(server: Server) -> None:
    with server.client("agent:ann") as agent, server.client("manager:bob") as manager:
        rid = post(agent, "/refunds", fresh_request(amount="200.00"), 201)["id"]
        key = {"Idempotency-Key": fresh("K")}
        assert manager.post(f"/refunds/{rid}/approvals", json={}, headers=key).status_code == 200
        replay = manager.post(f"/refunds/{rid}/approvals", json={}, headers=key)
        assert replay.headers["idempotent-replayed"] == "true"
    with server.client("auditor:aud") as auditor:
        response = auditor.get("/metrics")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    assert "ledger_http_requests_total{" in text
    assert "ledger_http_request_duration_seconds_bucket{" in text
    assert _sample(text, 'ledger_commands_total{command="approve",outcome="done"}') >= 1
    assert _sample(text, 'ledger_commands_total{command="approve",outcome="replayed"}') >= 1


def _sample(text: str, name: str) -> float:
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"{name} not in the metrics:\n{text}")


def test_openapi_lists_every_spec_route_with_bearer_security_and_problems(
    agent: httpx.Client,
) -> None:
    document = agent.get("/openapi.json").json()

    listed = {(m, path) for path, item in document["paths"].items() for m in item}
    assert SPEC_ROUTES <= listed, SPEC_ROUTES - listed
    schemes = document["components"]["securitySchemes"]
    bearer = [name for name, s in schemes.items() if s.get("scheme", "").lower() == "bearer"]
    assert bearer, schemes
    for method, path in SPEC_ROUTES - {(m, p) for m, p in SPEC_ROUTES if p in OPEN_ROUTES}:
        operation = document["paths"][path][method]
        security = operation.get("security", document.get("security", []))
        assert any(bearer[0] in entry for entry in security), (method, path)
    assert {"type", "title", "status", "detail"} <= set(
        document["components"]["schemas"]["Problem"]["properties"]
    )
    command = document["paths"]["/refunds/{refund_id}/approvals"]["post"]["responses"]
    assert "application/problem+json" in command["409"]["content"]
    commands = [p for p, item in document["paths"].items() if "post" in item]
    for path in [p for p in commands if p.startswith(("/refunds", "/orders"))]:
        headers = [p["name"] for p in document["paths"][path]["post"].get("parameters", [])]
        assert "Idempotency-Key" in headers, path
    assert "/orders" in commands

    docs = agent.get("/docs")
    assert docs.status_code == 200 and docs.headers["content-type"].startswith("text/html")


# --- a database outage, several workers ---


@pytest.mark.postgres
def test_a_database_outage_is_a_503_problem_and_the_server_recovers(
    postgres_server: object, tmp_path: Path
) -> None:
    admin = postgres_server.get_uri()  # type: ignore[attr-defined]
    name = f"test_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = postgres_server.get_uri(name)  # type: ignore[attr-defined]
    # each request waits the pool's connect timeout for a connection that cannot come (the
    # 3 s default would make this test wait 9 s); tests/e2e/test_database_outage.py checks
    # the wait is that timeout
    env = {"LEDGER_DB_CONNECT_TIMEOUT": "1"}
    with (
        running_server(url, tmp_path, env=env) as server,
        server.client("agent:ann") as agent,
    ):
        assert agent.post("/refunds", json=fresh_request()).status_code == 201
        newcomer = server.client(token=server.token("agent:amy"))  # a token the server has not seen
        _allow_connections(admin, name, False)
        try:
            command = agent.post("/refunds", json=fresh_request())
            keyed = agent.post(
                "/refunds", json=fresh_request(), headers={"Idempotency-Key": fresh("K")}
            )
            listed = agent.get("/refunds")
            other = newcomer.get("/refunds")
            health = agent.get("/healthz")
        finally:
            _allow_connections(admin, name, True)

        for response in (command, keyed, listed, other, health):
            assert_problem(response, 503, "database-unavailable")
        assert server.process.poll() is None
        assert _healthy_again(agent)
        assert agent.post("/refunds", json=fresh_request()).status_code == 201
        newcomer.close()
        assert "Traceback" not in server.log_text()  # an outage is expected, not a crash


def _allow_connections(admin: str, name: str, allowed: bool) -> None:
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(
            sql.SQL("ALTER DATABASE {} ALLOW_CONNECTIONS {}").format(
                sql.Identifier(name), sql.Literal(allowed)
            )
        )
        if not allowed:
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                (name,),
            )


def _healthy_again(client: httpx.Client) -> bool:
    deadline = time.monotonic() + PATIENCE
    while time.monotonic() < deadline:
        if client.get("/healthz").status_code == 200:
            return True
        time.sleep(0.1)
    return False


def test_two_workers_serve_and_metrics_sum_both(sqlite_url: str, tmp_path: Path) -> None:
    with running_server(sqlite_url, tmp_path, "--workers", "2", "--public-metrics") as server:
        for _ in range(20):  # a connection each, so that both workers take some
            with server.client() as client:
                assert_problem(client.get("/refunds"), 401, "invalid-token")
        with server.client() as client:
            texts = [client.get("/metrics").text for _ in range(4)]

    name = 'ledger_http_requests_total{method="GET",route="/refunds",status="401"}'
    assert [_sample(text, name) for text in texts] == [20.0] * 4
    log = server.wait_for_log(lambda text: len(_workers(text)) == 2)  # its lines may trail
    assert len(_workers(log)) == 2, log


def _workers(log: str) -> set[str]:
    return set(re.findall(r"Started server process \[(\d+)\]", log))
