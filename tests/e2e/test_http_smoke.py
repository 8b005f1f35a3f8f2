"""The server starts on both back ends, answers /healthz, and runs one request end to end."""

from __future__ import annotations

from pathlib import Path

from .http_support import SMALL_REQUEST, last_event_id, running_server


def test_served_request_is_stored_and_read_back(database_url: str, tmp_path: Path) -> None:
    with running_server(database_url, tmp_path) as server:
        before = last_event_id(database_url)
        with server.client("agent:ann") as agent:
            created = agent.post("/refunds", json=SMALL_REQUEST)
            assert created.status_code == 201, created.text
            refund = created.json()
            assert created.headers["location"] == f"/refunds/{refund['id']}"
            assert refund["status"] == "approved" and refund["requested_by"] == "agent:ann"
            shown = agent.get(created.headers["location"])
        assert shown.status_code == 200 and shown.json() == refund
        assert last_event_id(database_url) > before
        # the request's line is written as its answer leaves: wait for it, do not race it
        assert "POST /refunds 201" in server.wait_for_log(lambda t: "POST /refunds 201" in t)
