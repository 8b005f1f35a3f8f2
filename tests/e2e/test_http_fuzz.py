"""Issue 5: property-based fuzzing of the OpenAPI surface of a real `ledger serve`, on both
back ends. For every operation of /openapi.json, schemathesis generates path and query
parameters, headers and bodies, schema-valid and schema-invalid, and sends them:

- with a token of a role allowed to use the operation: never a 5xx, every answer conforms
  to the documented status codes, media types and schemas, every error is a problem
  document, and a refused request (4xx) stored nothing;
- without a usable token (none, malformed, unknown, expired, revoked): always 401 with a
  Bearer challenge, whatever else is wrong with the request, and nothing stored.

Examples are derandomized (the same on every run); `LEDGER_FUZZ_SCALE` sets how many.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from requests.structures import CaseInsensitiveDict
from schemathesis import Case
from schemathesis.core.result import Ok

from .authz_support import Desk
from .fuzz_support import (
    CHECKS,
    MODES,
    ROLES,
    SECURED,
    SEEDED_STATES,
    assert_challenged,
    assert_well_formed,
    fuzz_settings,
    fuzzed,
    ground,
    grounded,
    load_schema,
    send,
)
from .http_paths import fresh
from .http_support import Server

AUTHORIZED_EXAMPLES = 25
ANONYMOUS_EXAMPLES = 8

# schemathesis 4.32.5 itself draws from `random` inside some negative strategies; the warning
# is about its code, not this test's.
pytestmark = pytest.mark.filterwarnings("ignore:Do not use the `random` module inside strategies")


@pytest.fixture
def desk(http_server: Server) -> Iterator[Desk]:
    """The session's server on each back end in turn, with an open event log."""
    with ExitStack() as stack:
        yield Desk(http_server, stack)


def test_every_operation_of_the_openapi_document_is_fuzzed(http_server: Server) -> None:
    schema = load_schema(http_server)
    results = list(schema.get_all_operations())
    assert all(isinstance(result, Ok) for result in results), results
    served = {result.ok().label for result in results if isinstance(result, Ok)}
    assert served == set(ROLES)


@pytest.mark.parametrize(("label", "mode"), fuzzed(list(ROLES)))
def test_no_fuzzed_request_fails_on_the_server_and_a_refused_one_stores_nothing(
    desk: Desk, label: str, mode: str
) -> None:
    server = desk.server
    operation = load_schema(server).find_operation_by_label(label)
    assert operation is not None, label
    valid = mode == "valid"  # an invalid case keeps what was negated: nothing is changed
    customer = fresh("C")
    targets = _seeded(desk, customer) if valid and "{refund_id}" in label else []
    actors = [f"{role}:{customer if role == 'customer' else 'fuzz'}" for role in ROLES[label]]
    tokens = {actor: {"Authorization": f"Bearer {server.token(actor)}"} for actor in actors}
    statuses: list[int] = []

    @fuzz_settings(AUTHORIZED_EXAMPLES)
    @given(
        case=operation.as_strategy(MODES[mode]),
        headers=st.sampled_from(list(tokens.values()) or [{}]),
        target=st.sampled_from([None, *targets]),
        values=grounded(label) if valid else st.just({}),
    )
    def fuzz(
        case: Case[Any], headers: dict[str, str], target: str | None, values: dict[str, Any]
    ) -> None:
        if target is not None:
            case.path_parameters = {**(case.path_parameters or {}), "refund_id": target}
        ground(case, values)
        sent = send(server, case, desk.newest_event, headers)
        statuses.append(sent.response.status_code)
        case.validate_response(sent.response, checks=CHECKS, headers=headers)
        assert_well_formed(sent)

    fuzz()
    assert statuses, "no request was sent"


@pytest.mark.parametrize(("label", "mode"), fuzzed(SECURED))
def test_without_a_usable_token_every_fuzzed_request_is_a_401_and_stores_nothing(
    desk: Desk, label: str, mode: str
) -> None:
    server = desk.server
    operation = load_schema(server).find_operation_by_label(label)
    assert operation is not None, label
    role = f"{ROLES[label][0]}:fuzz"
    unusable = [
        None,  # no Authorization header at all
        "Bearer",
        "Basic YWdlbnQ6c2VjcmV0",
        "Bearer nonsense",
        f"Bearer rlk_{secrets.token_hex(8)}_{secrets.token_urlsafe(32)}",  # never issued
        f"Bearer {server.expired_token(role)}",
        f"Bearer {server.revoked_token(role)}",
    ]

    @fuzz_settings(ANONYMOUS_EXAMPLES)
    @given(case=operation.as_strategy(MODES[mode]), given_auth=st.sampled_from(unusable))
    def fuzz(case: Case[Any], given_auth: str | None) -> None:
        if case.headers:  # whatever was generated for it, the header is the one chosen here
            case.headers = CaseInsensitiveDict(
                {k: v for k, v in case.headers.items() if k.lower() != "authorization"}
            )
        headers = {} if given_auth is None else {"Authorization": given_auth}
        sent = send(server, case, desk.newest_event, headers)
        assert_challenged(sent)
        case.validate_response(sent.response, checks=CHECKS, headers=headers)  # 401 documented

    fuzz()


def _seeded(desk: Desk, customer: str) -> list[str]:
    """Refunds of the test's own customer, one in each of SEEDED_STATES."""
    return [desk.fresh(state, customer=customer) for state in SEEDED_STATES]
