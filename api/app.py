"""Build the FastAPI application around one RefundLedger: the HTTP side of docs/product.md §7."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException
from starlette.routing import BaseRoute

from api import problems
from api.deps import Services
from api.docs import add_docs
from api.idempotency import Idempotency
from api.middleware import Authenticate, BodyLimit, RequestLog
from api.routes import audit, commands, operations, orders, reads, reports
from ledger.bootstrap import Container
from ledger.domain.errors import LedgerError

DESCRIPTION = """The refund ledger's JSON API. Every request but `/healthz` and the documents
needs `Authorization: Bearer TOKEN` (from `ledger tokens issue`); the token decides who acts
(`/metrics` needs an auditor or system token unless the server runs with `--public-metrics`).
Every POST takes an `Idempotency-Key` header. Errors are RFC 9457 `application/problem+json`
documents whose `type` is `urn:refund-ledger:problem:CODE`."""


def create_app(container: Container, public_metrics: bool = False) -> FastAPI:
    """The API on a container's pieces (closed by the caller); `public_metrics` serves
    /metrics without a token."""
    ledger, queries = container.ledger, container.queries
    replays = container.replays()  # this process, as owner of its keys (the views open)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        replays.close()

    api = FastAPI(
        lifespan=lifespan,
        title="Refund ledger",
        version="1",
        description=DESCRIPTION,
        separate_input_output_schemas=False,
        docs_url=None,  # api.docs serves /docs and /redoc with files of its own
        redoc_url=None,
        swagger_ui_oauth2_redirect_url=None,
    )
    api.state.services = Services(ledger, queries)
    api.state.public_metrics = public_metrics
    routers = (
        commands.router,
        orders.router,
        reads.router,
        reports.router,
        audit.router,
        operations.router,
    )
    for router in routers:
        api.include_router(router)
    documents = add_docs(api)
    routes = [route for r in routers for route in r.routes]
    _handle_errors(api, routes)
    # added innermost first: RequestLog ends up outermost
    api.add_middleware(Idempotency, replays=replays)
    api.add_middleware(
        Authenticate,
        tokens=container.tokens,
        public=_public_paths(api, documents, public_metrics),
    )
    api.add_middleware(BodyLimit)
    api.add_middleware(RequestLog, routes=routes)
    return api


def _public_paths(api: FastAPI, documents: frozenset[str], public_metrics: bool) -> frozenset[str]:
    """What answers without a token: the API's documents and their files, /healthz, and
    /metrics when it is public."""
    operators = {route.path for route in operations.router.routes if isinstance(route, APIRoute)}
    if not public_metrics:
        operators.discard("/metrics")
    return frozenset(path for path in (api.openapi_url, *documents, *operators) if path)


def _handle_errors(api: FastAPI, routes: list[BaseRoute]) -> None:
    @api.exception_handler(LedgerError)
    async def refused(request: Request, error: LedgerError) -> JSONResponse:
        return problems.from_error(error, _request_id(request))

    @api.exception_handler(RequestValidationError)
    async def invalid(request: Request, error: RequestValidationError) -> JSONResponse:
        for e in error.errors():
            if e["type"] == "json_invalid":
                why = e.get("ctx", {}).get("error", "not JSON")
                detail = f"the body is not valid JSON ({why}, at character {e['loc'][-1]})"
                return problems.named("malformed-body", detail, _request_id(request))
        found = [_one(e) for e in error.errors()]
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in found)
        return problems.named("invalid-input", detail, _request_id(request), errors=found)

    @api.exception_handler(HTTPException)
    async def http(request: Request, error: HTTPException) -> JSONResponse:
        if error.status_code == 400:  # the framework's only 400: a body it could not parse
            return problems.named("malformed-body", unparsable(error), _request_id(request))
        code = {404: "not-found", 405: "method-not-allowed"}.get(error.status_code)
        if code is None:  # no route raises HTTPException: RequestLog answers it as a failure
            raise RuntimeError(f"HTTP {error.status_code}: {error.detail}") from error
        found = problems.named(code, f"{request.method} {request.url.path}: {error.detail}",
                               _request_id(request))  # fmt: skip
        if error.status_code == 405:
            found.headers["Allow"] = ", ".join(_allowed(routes, request.url.path))
        return found


def _allowed(routes: list[BaseRoute], path: str) -> list[str]:
    """The methods some route takes on `path` (the framework's 405 names one route's only)."""
    methods = {
        method
        for route in routes
        if isinstance(route, APIRoute) and route.path_regex.match(path)
        for method in route.methods or ()
    }
    return sorted(methods)


def unparsable(error: HTTPException) -> str:
    """Why the framework could not parse a JSON body (the cause it raised the 400 from)."""
    cause = error.__cause__
    if isinstance(cause, UnicodeDecodeError):
        encoding = cause.encoding.upper().replace("_", "-")
        return f"the body is not valid {encoding} (byte {cause.start + 1})"
    if isinstance(cause, RecursionError):
        return "the body nests arrays or objects deeper than the server parses"
    if isinstance(cause, ValueError) and "integer string conversion" in str(cause):
        limit = sys.get_int_max_str_digits()
        return f"the body has a number of more than {limit} digits"
    return "the body cannot be parsed as JSON"


def _one(error: dict[str, object]) -> dict[str, str]:
    location = [str(part) for part in error.get("loc", ()) if part != "body"]  # type: ignore[attr-defined]
    return {"field": ".".join(location) or "body", "message": str(error.get("msg", "invalid"))}


def _request_id(request: Request) -> str | None:
    return getattr(request.state, "request_id", None)
