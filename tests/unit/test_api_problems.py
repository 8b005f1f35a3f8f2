"""Every domain error has one HTTP status and a stable problem type; bodies follow RFC 9457."""

from __future__ import annotations

import json

import pytest

from api import metrics, problems
from ledger.app.tokens import InvalidToken
from ledger.audit.errors import InvalidBundle
from ledger.config import InvalidDatabaseUrl
from ledger.domain import errors

EXPECTED_STATUS = [
    (errors.RefundNotFound("r-1"), 404),
    (errors.RoleNotAllowed("agent:a", "approve a refund", ("manager",)), 403),
    (errors.AuthorityExceeded("above the manager's limit"), 403),
    (errors.SeparationOfDuties("the requester may not approve", "separation.x"), 403),
    (errors.IllegalTransition("approve", "paid", ("pending_approval",)), 409),
    (errors.ConcurrencyConflict("r-1"), 409),
    (errors.IdempotencyConflict("k"), 409),
    (errors.InvalidAmount("x", "not a number"), 422),
    (errors.InvalidCurrency("XXX"), 422),
    (errors.InvalidActor("x", "no colon"), 422),
    (errors.InvalidRefundId("x"), 422),
    (InvalidDatabaseUrl("x", "no scheme"), 422),
    (InvalidBundle("b.json", "not a bundle"), 422),
    (errors.AmountExceedsRefundable("more than is refundable"), 422),
    (errors.OrderMismatch("another order"), 422),
    (errors.InvalidDecision("above the request"), 422),
    (InvalidToken("malformed bearer token"), 401),
]


@pytest.mark.parametrize(("error", "status"), EXPECTED_STATUS, ids=lambda v: str(v)[:30])
def test_each_domain_error_has_its_status(error: errors.LedgerError, status: int) -> None:
    assert problems.status_for(error) == status


def test_problem_body_is_rfc9457_with_a_stable_type_per_error() -> None:
    response = problems.from_error(errors.IllegalTransition("approve", "paid", ("a",)), "rid-1")

    body = json.loads(bytes(response.body))
    assert response.status_code == 409
    assert response.media_type == "application/problem+json"
    assert body == {
        "type": "urn:refund-ledger:problem:illegal-transition",
        "title": "Illegal transition",
        "status": 409,
        "detail": "cannot approve a refund that is paid; it must be a",
        "code": "illegal-transition",
        "request_id": "rid-1",
    }


def test_separation_of_duties_problem_names_its_rule() -> None:
    refusal = errors.SeparationOfDuties(
        "verifier:bob requested this refund (as agent:bob); somebody else must verify it",
        "separation.requester_verifies",
    )

    body = json.loads(bytes(problems.from_error(refusal, None).body))

    assert (body["status"], body["code"]) == (403, "separation-of-duties")
    assert body["rule"] == "separation.requester_verifies"
    assert body["detail"].endswith("must verify it (rule separation.requester_verifies)")


def test_other_problems_carry_no_rule_member() -> None:
    body = json.loads(bytes(problems.from_error(errors.AuthorityExceeded("too much"), None).body))

    assert "rule" not in body


def test_unauthenticated_problem_asks_for_a_bearer_token() -> None:
    response = problems.from_error(InvalidToken("missing bearer token"), None)

    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Bearer realm="ledger"'
    assert "request_id" not in json.loads(bytes(response.body))


@pytest.mark.parametrize("code", sorted(problems.TITLES))
def test_every_named_problem_has_its_status_and_title(code: str) -> None:
    status, title = problems.TITLES[code]

    body = json.loads(bytes(problems.named(code, "why").body))

    assert (body["status"], body["title"], body["code"]) == (status, title, code)
    assert body["type"] == problems.TYPE_PREFIX + code


@pytest.mark.parametrize(
    ("status", "outcome"),
    [(200, "done"), (201, "done"), (401, "unauthenticated"), (403, "forbidden"),
     (404, "not_found"), (409, "conflict"), (400, "invalid"), (413, "invalid"),
     (422, "invalid"), (500, "error"), (503, "error")],
)  # fmt: skip
def test_command_outcome_by_status(status: int, outcome: str) -> None:
    assert metrics.outcome(status) == outcome
