"""The audit log over a real `ledger serve`: the checkpoint as signed, inclusion proofs a
client checks against it, a consistency proof against a checkpoint the client kept, and who
may read which."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import httpx

from ledger.audit.checkpoints import parse_checkpoint, sign_checkpoint
from ledger.audit.merkle import verify_consistency, verify_inclusion
from ledger.audit.note import Checkpoint, Signer, open_note
from ledger.bootstrap import bootstrap
from ledger.config import Settings

from .http_paths import assert_problem, fresh_request, get, post
from .http_support import Server

AGENT = "agent:aurelia"
SIGNER = Signer.generate("refunds.test/http-log")


def _sign(server: Server) -> Checkpoint:
    """What `ledger audit checkpoint` does, on the server's database."""
    container = bootstrap(Settings(database_url=server.database_url))
    try:
        note = sign_checkpoint(container.audit_log, SIGNER, datetime.now(UTC))
    finally:
        container.close()
    return parse_checkpoint(note)


def _request(client: httpx.Client) -> str:
    return str(post(client, "/refunds", fresh_request(), status=201)["id"])


def test_a_refunds_events_are_proven_in_the_served_checkpoint(http_server: Server) -> None:
    with http_server.client(AGENT) as client:
        refund_id = _request(client)
        _sign(http_server)
        served = client.get("/audit/checkpoint")
        assert served.status_code == 200 and served.headers["content-type"].startswith("text/plain")
        head = parse_checkpoint(open_note(served.text, [SIGNER.verifier]).text)
        found = get(client, "/audit/proofs/inclusion", refund=refund_id)
    assert found["checkpoint"] == served.text and found["tree_size"] == head.size
    assert [e["version"] for e in found["events"]] == [1, 2, 3]  # requested, verified, approved
    for event in found["events"]:
        proof = [base64.b64decode(p) for p in event["proof"]]
        leaf = base64.b64decode(event["leaf_hash"])
        assert verify_inclusion(event["position"], head.size, leaf, proof, head.root)


def test_a_later_checkpoint_is_proven_to_extend_the_one_a_client_kept(
    http_server: Server,
) -> None:
    with http_server.client(AGENT) as client:
        kept = _sign(http_server)
        _request(client)
        latest = _sign(http_server)
        found = get(client, "/audit/proofs/consistency", old_size=kept.size)
        too_far = client.get("/audit/proofs/consistency", params={"old_size": latest.size + 1})
    proof = [base64.b64decode(p) for p in found["proof"]]
    assert found["new_size"] == latest.size > kept.size
    assert verify_consistency(kept.size, latest.size, kept.root, latest.root, proof)
    assert_problem(too_far, 422, "invalid-old-size")


def test_a_customer_gets_no_proof_of_another_customers_refund(http_server: Server) -> None:
    with http_server.client(AGENT) as client:
        refund_id = _request(client)
    _sign(http_server)
    with http_server.client("customer:someone-else") as stranger:
        assert_problem(
            stranger.get("/audit/proofs/inclusion", params={"refund": refund_id}),
            404,
            "refund-not-found",
        )
        assert stranger.get("/audit/checkpoint").status_code == 200  # hashes only
    with http_server.client() as anonymous:
        assert_problem(anonymous.get("/audit/checkpoint"), 401, "invalid-token")
