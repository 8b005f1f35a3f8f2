"""Issue 12, part 4, on a real `ledger serve`: the log escapes what a client sent (plain and
`--log-format json`), /metrics needs an auditor or system token (unless `--public-metrics`),
/docs and /redoc load nothing from another host, and every answer says `no-store`."""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path
from typing import Any

import pytest

from .http_paths import assert_problem, fresh, fresh_request
from .http_support import Server, running_server

FORGED = "/x%0Aforged%20line%E2%80%AE%1B%5B31m"  # a newline, a space, U+202E and ESC [31m


@pytest.fixture
def server(http_server: Server) -> Server:
    """The session's server on each back end in turn (without --public-metrics)."""
    return http_server


def lines_naming(server: Server, *request_ids: str) -> tuple[list[str], list[str]]:
    """(every complete line of the log, the lines naming the first id), once a line names
    each id (the line is written as the answer leaves: it may trail the answer)."""
    lines = server.log_lines(*request_ids)
    return lines, [line for line in lines if request_ids[0] in line]


# --- the log ---


def test_a_path_with_a_newline_is_one_escaped_log_line(server: Server) -> None:
    request_id = fresh("forge")
    with server.client() as anonymous:
        answer = anonymous.get(FORGED, headers={"X-Request-Id": request_id})
    assert_problem(answer, 401, "invalid-token")

    lines, mine = lines_naming(server, request_id)

    assert len(mine) == 1, mine
    assert " GET /x\\nforged\\x20line\\u202e\\x1b[31m 401 " in mine[0], mine
    assert mine[0].endswith("actor=-")
    assert not [line for line in lines if line.startswith("forged")], lines


def test_json_log_has_one_object_per_line_in_every_worker(sqlite_url: str, tmp_path: Path) -> None:
    with running_server(sqlite_url, tmp_path, "--log-format", "json", "--workers", "2") as server:
        ids = {name: fresh(name) for name in ("forged", "first", "replay")}
        with server.client() as anonymous:
            anonymous.get(FORGED, headers={"X-Request-Id": ids["forged"]})
            metrics = anonymous.get("/metrics")  # the workers did not get --public-metrics
        with server.client("agent:ann") as agent:
            key, body = fresh("K"), fresh_request()
            for name in ("first", "replay"):
                headers = {"X-Request-Id": ids[name], "Idempotency-Key": key}
                assert agent.post("/refunds", json=body, headers=headers).status_code == 201
        lines, _ = lines_naming(server, *ids.values())

    records = [json.loads(line) for line in lines if line]  # every line parses
    assert all(isinstance(found, dict) and {"time", "level"} <= set(found) for found in records)
    assert any("Uvicorn running on" in found.get("message", "") for found in records)
    by_id = {found.get("request_id"): found for found in records}
    assert _fields(by_id[ids["forged"]]) == {
        "level": "INFO", "logger": "ledger.api", "request_id": ids["forged"], "method": "GET",
        "path": "/x\nforged line\u202e\x1b[31m", "status": 401, "actor": None, "replayed": False,
    }  # fmt: skip
    assert _fields(by_id[ids["first"]])["actor"] == "agent:ann"
    assert [by_id[ids[name]]["replayed"] for name in ("first", "replay")] == [False, True]
    assert_problem(metrics, 401, "invalid-token")


def _fields(record: dict[str, Any]) -> dict[str, Any]:
    found = dict(record)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", found.pop("time"))
    assert isinstance(found.pop("duration_ms"), float)
    return found


# --- /metrics ---


def test_metrics_need_an_auditor_or_system_token(server: Server) -> None:
    with server.client() as anonymous:
        assert_problem(anonymous.get("/metrics"), 401, "invalid-token")
    with server.client("agent:ann") as agent:
        refused = assert_problem(agent.get("/metrics"), 403, "role-not-allowed")
    assert refused["detail"] == (
        "agent:ann may not read the server's metrics; this needs one of: auditor, system"
    )
    for reader in ("auditor:aud", "system:sys"):
        with server.client(reader) as client:
            answer = client.get("/metrics")
        assert answer.status_code == 200, answer.text
        assert "ledger_http_requests_total{" in answer.text


def test_public_metrics_answer_anyone(sqlite_url: str, tmp_path: Path) -> None:
    with running_server(sqlite_url, tmp_path, "--public-metrics") as server:
        with server.client() as anonymous, server.client("customer:c-1") as customer:
            answers = [anonymous.get("/metrics"), customer.get("/metrics")]
            still_closed = anonymous.get("/refunds")

    assert [answer.status_code for answer in answers] == [200, 200]
    assert all("ledger_http_requests_total{" in answer.text for answer in answers)
    assert_problem(still_closed, 401, "invalid-token")


# --- the documents ---


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_the_api_documents_load_every_file_from_the_server_itself(
    server: Server, page: str
) -> None:
    with server.client() as anonymous:
        html = anonymous.get(page)
        assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
        assert "http://" not in html.text and "https://" not in html.text, html.text
        policy = html.headers["content-security-policy"]  # what the scripts fetch stays here too
        assert "img-src 'self' data:" in policy and "connect-src 'self'" in policy, policy
        files = re.findall(r'(?:src|href|spec-url)="([^"]+)"', html.text)
        files += re.findall(r"\burl: '([^']+)'", html.text)  # Swagger UI's OpenAPI document
        answers = {path: anonymous.get(path) for path in files}
        others = [anonymous.get("/docs/assets/nothing.js"), anonymous.get("/refunds")]

    assert len(files) >= 3, html.text  # the script, the icon, the OpenAPI document (and css)
    assert all(path.startswith("/") and not path.startswith("//") for path in files), files
    assert {path: a.status_code for path, a in answers.items()} == dict.fromkeys(files, 200)
    assert all(answer.content for answer in answers.values())
    for other in others:  # the files are public by name; the rest of the API is not
        assert_problem(other, 401, "invalid-token")


# --- Cache-Control ---


def test_every_answer_says_no_store(server: Server) -> None:
    key = {"Idempotency-Key": fresh("K")}
    body = fresh_request()
    with server.client("agent:ann") as agent, server.client() as anonymous:
        answers = {
            "GET": agent.get("/refunds", params={"limit": 1}),
            "POST": agent.post("/refunds", json=body, headers=key),
            "replay": agent.post("/refunds", json=body, headers=key),
            "problem": agent.get(f"/refunds/{uuid.uuid4()}"),
            "401": anonymous.get("/refunds"),
        }

    assert [a.status_code for a in answers.values()] == [200, 201, 201, 404, 401]
    assert answers["replay"].headers["idempotent-replayed"] == "true"
    assert {name: a.headers.get_list("cache-control") for name, a in answers.items()} == {
        name: ["no-store"] for name in answers
    }
