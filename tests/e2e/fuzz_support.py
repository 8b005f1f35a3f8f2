"""The fuzzing side of the HTTP tests: schemathesis cases for every operation of the served
OpenAPI document, sent to a real `ledger serve`, and what must hold of every answer.

`LEDGER_FUZZ_SCALE` (a float, default 1) multiplies the number of examples per operation;
at 1 the fuzz file takes about a minute on both back ends under `pytest -n 4`.
"""

from __future__ import annotations

import functools
import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis import Case, GenerationMode
from schemathesis.checks import CheckFunction, not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from ledger.app.inputs import ID_PATTERN
from ledger.domain.vocabulary import CHANNELS, METHODS, REASONS
from ledger.reconcile.settlements import COLUMNS

from .http_paths import PROBLEM_PREFIX
from .http_support import Server

SCALE = float(os.environ.get("LEDGER_FUZZ_SCALE", "1"))
PROBLEM_JSON = "application/problem+json"
MODES = {"valid": GenerationMode.POSITIVE, "invalid": GenerationMode.NEGATIVE}

# Who fuzzes each operation: the roles allowed to use it (ledger/default_policy.toml
# [permissions], ledger.app.access.READERS), one drawn per example, so that answers get past
# the role check into the parsing and the rules. A customer acts as the customer of the
# test's seeded refunds; everyone else is called "fuzz", a name none of the people who seed
# the refunds has (authz_support), so separation of duties never hides the deeper paths.
STAFF = ("agent", "verifier", "manager", "finance", "disputes", "auditor", "system")
# fmt: off
ROLES: dict[str, tuple[str, ...]] = {
    "POST /refunds":                                 ("agent", "customer", "system"),
    "GET /refunds":                                  ("customer", *STAFF),
    "POST /orders":                                  ("agent", "finance", "system"),
    "GET /orders/{order_id}":                        ("customer", *STAFF),
    "POST /refunds/{refund_id}/verification":        ("verifier", "system"),
    "POST /refunds/{refund_id}/approvals":           ("manager", "finance"),
    "POST /refunds/{refund_id}/rejection":           ("manager", "finance"),
    "POST /refunds/{refund_id}/escalation":          ("agent", "manager", "finance", "system"),
    "POST /refunds/{refund_id}/cancellation":        ("customer", "agent", "manager", "finance"),
    "POST /refunds/{refund_id}/payouts":             ("finance",),
    "POST /refunds/{refund_id}/payouts/settlement":  ("finance",),
    "POST /refunds/{refund_id}/payouts/failure":     ("finance",),
    "POST /refunds/{refund_id}/disputes":            ("customer", "agent", "disputes"),
    "POST /refunds/{refund_id}/disputes/resolution": ("disputes",),
    "POST /refunds/{refund_id}/notes":               ("customer", "agent", "verifier", "system"),
    "GET /refunds/{refund_id}":                      ("customer", *STAFF),
    "GET /refunds/{refund_id}/history":              ("customer", *STAFF),
    "GET /audit/search":                             ("manager", "finance", "disputes", "auditor"),
    "GET /audit/checkpoint":                         ("customer", *STAFF),
    "GET /audit/proofs/inclusion":                   ("customer", *STAFF),
    "GET /audit/proofs/consistency":                 ("customer", *STAFF),
    "GET /reports/kpis":                             ("manager", "finance", "auditor"),
    "POST /reconciliations":                         ("finance", "auditor"),
    "GET /healthz":                                  (),  # open: no token needed
    "GET /metrics":                                  ("auditor", "system"),
}
# fmt: on
TEXT_ANSWERS = frozenset({"/metrics", "/audit/checkpoint"})  # Prometheus text, a signed note
SECURED = [label for label, roles in ROLES.items() if roles]

# No schema-invalid request exists for these: no input at all, or only a path parameter that
# any string satisfies (schemathesis then finds nothing to negate).
NOTHING_TO_NEGATE = frozenset(
    {
        "GET /healthz",
        "GET /metrics",
        "GET /refunds/{refund_id}/history",
        "GET /orders/{order_id}",
        "GET /audit/checkpoint",
    }
)


def fuzzed(labels: list[str]) -> list[tuple[str, str]]:
    """(operation, mode) pairs to fuzz: every mode that can generate a request."""
    return [
        (label, mode)
        for label in labels
        for mode in MODES
        if not (mode == "invalid" and label in NOTHING_TO_NEGATE)
    ]


# The states the seeded refunds of a test are in, so that fuzzed commands find refunds they
# may act on (a generated id is almost never one that exists).
SEEDED_STATES = ("requested", "pending_approval", "approved", "payout_pending", "disputed")

# Values the rules accept, merged into some of an operation's valid bodies, so that fuzzing
# also reaches the paths that store (a generated currency is almost never ISO 4217, nor a
# generated id one the rules accept).
_ID = st.from_regex(ID_PATTERN, fullmatch=True)
_CELL = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["PSP-1", "100.00", "-1", "1e9", "NaN", "EUR", "settled", "failed"]),
    st.sampled_from(["2026-11-01", "2026-02-30", '"a,b"', ""]),
)
_ROW = st.lists(_CELL, min_size=len(COLUMNS) - 1, max_size=len(COLUMNS) + 1).map(",".join)
#: A settlement file whose header is right and whose rows are anything (a whole-body value).
SETTLEMENT_FILE = st.lists(_ROW, max_size=5).map(lambda rows: "\n".join([",".join(COLUMNS), *rows]))
BODY = "<the whole body>"
GROUNDING: dict[str, dict[str, st.SearchStrategy[Any]]] = {
    "POST /refunds": {
        "order_id": _ID,
        "customer_id": _ID,
        "currency": st.sampled_from(["EUR", "USD"]),
        "amount": st.sampled_from([None, "0.01", "30.00", "999.99"]),
        "order_total": st.just("1000.00"),
        "reason": st.sampled_from(sorted(REASONS)),
        "channel": st.sampled_from(sorted(CHANNELS)),
        "method": st.sampled_from(sorted(METHODS)),
        "purchased_on": st.none(),
        "items": st.just([]),
    },
    "POST /orders": {
        "order_id": _ID,
        "customer_id": _ID,
        "currency": st.sampled_from(["EUR", "USD"]),
        "total": st.sampled_from(["1000.00", "0.01", "1e3"]),
        "purchased_on": st.sampled_from([None, "2026-11-01", "2026-02-30"]),
    },
    "POST /refunds/{refund_id}/approvals": {"amount": st.sampled_from([None, "10.00"])},
    "POST /refunds/{refund_id}/disputes/resolution": {"amount": st.sampled_from([None, "5.00"])},
    "POST /refunds/{refund_id}/payouts": {"method": st.sampled_from([None, *sorted(METHODS)])},
    "POST /reconciliations": {BODY: SETTLEMENT_FILE},
}

# The schemathesis checks every answer passes. Not among them: `positive_data_acceptance`,
# because the schema describes shape only (api/models.py): a schema-valid currency "0" or
# amount "x" is refused by the same parsers as the CLI's, with 422 by design.
CHECKS: list[CheckFunction] = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,  # schema-invalid input is refused with a 4xx
]

# The tests send the Authorization header themselves (a usable one, or on purpose none):
# generated (and negated) security parameters would be overridden and so misreported.
CONFIG = schemathesis.Config.from_dict({"generation": {"with-security-parameters": False}})


def grounded(label: str) -> st.SearchStrategy[dict[str, Any]]:
    """Values to merge into a valid body of `label`: none, all of GROUNDING's, or some."""
    values = GROUNDING.get(label, {})
    return st.one_of(
        st.just({}), st.fixed_dictionaries(values), st.fixed_dictionaries({}, optional=values)
    )


def ground(case: Case[Any], values: dict[str, Any]) -> None:
    if BODY in values:
        case.body = values[BODY]
    elif values and isinstance(case.body, dict):
        case.body = {**case.body, **values}


def examples(base: int) -> int:
    """`base` examples, scaled by LEDGER_FUZZ_SCALE."""
    return max(1, round(base * SCALE))


def fuzz_settings(base: int) -> settings:
    """Bounded and reproducible: the same examples on every run (CI), no example database."""
    return settings(
        max_examples=examples(base),
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )


def load_schema(server: Server) -> schemathesis.BaseSchema:
    """The server's own /openapi.json, as schemathesis reads it (once per server: reading
    it is a quarter of a second, and every fuzz test of the session's server needs it)."""
    return _schema_at(server.base_url)


@functools.cache
def _schema_at(base_url: str) -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_url(f"{base_url}/openapi.json", config=CONFIG)


@dataclass
class Sent:
    """One fuzzed request, its answer, and whether the event store grew across it."""

    case: Case[Any]
    response: schemathesis.Response
    stored: bool

    def describe(self) -> str:
        answer = self.response.content[:400].decode(errors="replace")
        return f"{self.case.as_curl_command()}\n-> {self.response.status_code} {answer}"


def send(
    server: Server, case: Case[Any], newest_event: Callable[[], int], headers: dict[str, str]
) -> Sent:
    before = newest_event()
    response = case.call(base_url=server.base_url, headers=headers, timeout=30)
    return Sent(case, response, newest_event() > before)


def assert_well_formed(sent: Sent) -> None:
    """A 2xx is JSON (but the metrics and the signed checkpoint: text); anything else is an
    RFC 9457 problem document with every member the API promises; a refusal stored nothing."""
    response, status = sent.response, sent.response.status_code
    media = _header(response, "content-type").split(";")[0].strip()
    assert "Traceback" not in response.text, sent.describe()
    if status < 400:
        if sent.case.operation.path in TEXT_ANSWERS:
            assert media == "text/plain", sent.describe()
            response.content.decode("utf-8")
        else:
            assert media == "application/json", sent.describe()
            json.loads(response.content)
        return
    assert not sent.stored, f"refused with {status}, but an event was stored:\n{sent.describe()}"
    assert media == PROBLEM_JSON, sent.describe()
    problem: Any = json.loads(response.content)
    assert isinstance(problem, dict), sent.describe()
    assert str(problem.get("type", "")).startswith(PROBLEM_PREFIX), sent.describe()
    assert problem.get("status") == status, sent.describe()
    assert isinstance(problem.get("title"), str) and problem["title"], sent.describe()
    assert isinstance(problem.get("detail"), str) and problem["detail"], sent.describe()
    if _header(response, "idempotent-replayed") == "true":
        # the first answer to the key, byte for byte: the request id is the first request's
        assert re.fullmatch(r"[0-9a-f]{32}", str(problem.get("request_id"))), sent.describe()
    else:
        assert problem.get("request_id") == _header(response, "x-request-id"), sent.describe()


def assert_challenged(sent: Sent) -> None:
    """The answer to a request without a usable token: 401, a Bearer challenge, nothing
    stored, whatever else is wrong with the request."""
    assert sent.response.status_code == 401, sent.describe()
    assert_well_formed(sent)
    assert json.loads(sent.response.content)["code"] == "invalid-token", sent.describe()
    challenge = _header(sent.response, "www-authenticate")
    assert challenge.startswith("Bearer "), sent.describe()


def _header(response: schemathesis.Response, name: str) -> str:
    values = response.headers.get(name) or [""]
    return values[0]
