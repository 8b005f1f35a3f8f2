"""A separation-of-duties refusal over HTTP: 403, a problem naming its rule, nothing stored."""

from __future__ import annotations

from .http_paths import assert_problem, fresh_request, get, post
from .http_support import Server


def test_requester_overturning_the_rejection_of_their_request_is_refused_naming_the_rule(
    http_server: Server,
) -> None:
    with (
        http_server.client("agent:bob") as bob,
        http_server.client("manager:alice") as alice,
        http_server.client("disputes:bob") as bob_in_disputes,
    ):
        body = fresh_request(amount="900.00", order_total="2000.00")
        rid = post(bob, "/refunds", body, 201)["id"]
        post(alice, f"/refunds/{rid}/rejection", {"reason": "no proof"})
        opened = post(bob, f"/refunds/{rid}/disputes", {"reason": "proof attached"})

        response = bob_in_disputes.post(
            f"/refunds/{rid}/disputes/resolution",
            json={"outcome": "overturned", "amount": "900.00", "rationale": "I say so"},
        )

        problem = assert_problem(response, 403, "separation-of-duties")
        assert problem["rule"] == "separation.participant_resolves"
        assert problem["detail"] == (
            "disputes:bob requested this refund (as agent:bob); somebody else must resolve the "
            "dispute on it (rule separation.participant_resolves)"
        )
        after = get(bob, f"/refunds/{rid}")
        assert (after["status"], after["version"]) == ("disputed", opened["version"])
