"""Helpers of the HTTP path tests: a server per module and back end, and request bodies.

A module-scoped server cannot take the function-scoped `database_url`, so `module_database`
makes a database of its own on the same back ends (SQLite file, the session's PostgreSQL).
Tests that share one server use fresh order and customer ids (`fresh_request`) so that the
fraud rules (refunds per customer) and the order's refundable total never couple them.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from psycopg import sql

from .http_support import SMALL_REQUEST

BACKEND_PARAMS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
BACKEND_IDS = ["sqlite", "postgres"]
PROBLEM_PREFIX = "urn:refund-ledger:problem:"


def module_database(request: pytest.FixtureRequest, workdir: Path) -> str:
    """A fresh database on the back end named by `request.param`."""
    if request.param == "sqlite":
        return f"sqlite:///{workdir / 'ledger.db'}"
    server = request.getfixturevalue("postgres_server")
    name = f"test_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(server.get_uri(), autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return str(server.get_uri(name))


def fresh(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def fresh_request(**overrides: Any) -> dict[str, Any]:
    """SMALL_REQUEST on a new order of a new customer, `overrides` merged over it."""
    return {**SMALL_REQUEST, "order_id": fresh("O"), "customer_id": fresh("C"), **overrides}


def capture_order(client: httpx.Client, request: dict[str, Any]) -> None:
    """The shop records the order a request body is about (a customer needs one on record)."""
    order = {
        "order_id": request["order_id"],
        "customer_id": request["customer_id"],
        "total": request["order_total"],
        "currency": request["currency"],
    }
    if request.get("purchased_on"):
        order["purchased_on"] = request["purchased_on"]
    response = client.post("/orders", json=order)
    assert response.status_code in (200, 201), response.text


def days_ago(days: int) -> str:
    return (datetime.now(UTC).date() - timedelta(days=days)).isoformat()


def post(client: httpx.Client, path: str, body: Any, status: int = 200) -> dict[str, Any]:
    """POST JSON, require `status`, return the parsed body."""
    response = client.post(path, json=body)
    assert response.status_code == status, f"{path} -> {response.status_code} {response.text}"
    found: dict[str, Any] = response.json()
    return found


def get(client: httpx.Client, path: str, **params: Any) -> Any:
    response = client.get(path, params=params)
    assert response.status_code == 200, f"{path} -> {response.status_code} {response.text}"
    return response.json()


def assert_problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """The response is an RFC 9457 problem of `code` with every member the API promises."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json"), response
    body: dict[str, Any] = response.json()
    assert body["type"] == PROBLEM_PREFIX + code, body
    assert body["status"] == status
    assert body["title"] and body["detail"], body
    assert body["request_id"] == response.headers["x-request-id"], body
    assert "Traceback" not in response.text and 'File "' not in response.text
    return body
