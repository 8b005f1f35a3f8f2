"""Control and bidi characters through the real HTTP API: the same refusals as the CLI (422
problem documents naming the field and the character), and nothing stored."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from .http_paths import assert_problem, fresh, fresh_request, post
from .http_support import Server, last_event_id

UNSAFE = {"\u202e": "U+202E", "\x9b": "U+009B", "\x1b": "U+001B", "\x00": "U+0000", "\r": "U+000D"}


@pytest.fixture
def server(http_server: Server) -> Server:
    """The session's server on each back end in turn."""
    return http_server


@pytest.fixture
def agent(server: Server) -> Iterator[httpx.Client]:
    with server.client("agent:ann") as client:
        yield client


def refused(response: httpx.Response, message: str) -> None:
    problem = assert_problem(response, 422, "invalid-input")
    assert problem["detail"] == message, problem


def test_a_request_whose_note_or_address_holds_a_control_character_is_a_422_storing_nothing(
    server: Server, agent: httpx.Client
) -> None:
    stored = last_event_id(server.database_url)
    for field in ("note", "address"):
        for char, code in UNSAFE.items():
            body = fresh_request(**{field: f"left{char}right"})

            response = agent.post("/refunds", json=body)

            refused(response, f"{field} contains a control character ({code}) at position 5")
    assert last_event_id(server.database_url) == stored


def test_commands_on_a_refund_refuse_control_characters_and_store_nothing(
    server: Server, agent: httpx.Client
) -> None:
    rid = post(agent, "/refunds", fresh_request(amount="200.00"), 201)["id"]  # pending
    server.token("manager:mia")  # issuing a token stores its event: before the count
    stored = last_event_id(server.database_url)
    with server.client("manager:mia") as manager:
        answers = [
            (manager.post(f"/refunds/{rid}/approvals", json={"note": "ok\u202e"}), "note", 3),
            (manager.post(f"/refunds/{rid}/rejection", json={"reason": "no\x9b"}), "reason", 3),
            (agent.post(f"/refunds/{rid}/notes", json={"text": "\x00x"}), "text", 1),
            (agent.post(f"/refunds/{rid}/cancellation", json={"reason": "a\rb"}), "reason", 2),
        ]
    for response, field, position in answers:
        problem = assert_problem(response, 422, "invalid-input")
        assert problem["detail"].startswith(f"{field} contains a control character (U+"), problem
        assert problem["detail"].endswith(f"at position {position}"), problem
    assert last_event_id(server.database_url) == stored


def test_a_payout_reference_is_one_line_and_a_note_keeps_its_newlines(
    server: Server, agent: httpx.Client
) -> None:
    rid = post(agent, "/refunds", fresh_request(), 201)["id"]  # approved automatically
    with server.client("finance:fay") as finance:
        post(finance, f"/refunds/{rid}/payouts", {})
        stored = last_event_id(server.database_url)
        settle = finance.post(
            f"/refunds/{rid}/payouts/settlement", json={"reference": "PSP-1\nPSP-2"}
        )
        fail = finance.post(
            f"/refunds/{rid}/payouts/failure", json={"reason": "closed", "reference": "PSP\t1"}
        )
        refused(settle, "reference contains a control character (U+000A) at position 6")
        refused(fail, "reference contains a control character (U+0009) at position 4")
        assert last_event_id(server.database_url) == stored
        post(finance, f"/refunds/{rid}/payouts/settlement", {"reference": fresh("PSP")})

    post(agent, f"/refunds/{rid}/notes", {"text": "first line\n\tsecond"})

    history = agent.get(f"/refunds/{rid}/history").json()
    assert history[-1]["text"] == "first line\n\tsecond"
