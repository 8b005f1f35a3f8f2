"""The layers every request passes through, outermost first:

RequestLog (request id, log line, metrics, last-resort 500) -> BodyLimit (64 KiB, 413) ->
Authenticate (bearer token -> actor) -> Idempotency (replays POSTs by Idempotency-Key) ->
the routes. They are plain ASGI, so a response is never buffered twice.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Sequence
from typing import Any

from anyio import to_thread
from eventsourcing.persistence import PersistenceError
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api import metrics, problems
from ledger.access.tokens import InvalidToken, TokenStore
from ledger.domain.actor import Actor

logger = logging.getLogger("ledger.api")

MAX_BODY = 64 * 1024
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


def header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None


def state(scope: Scope) -> dict[str, Any]:
    found: dict[str, Any] = scope.setdefault("state", {})
    return found


class RequestLog:
    """Give every request an id (the client's X-Request-Id when sane), log one line for it,
    count it, and answer any unexpected failure with a problem that names the id."""

    def __init__(self, app: ASGIApp, routes: Sequence[BaseRoute] = ()) -> None:
        self.app = app
        self.routes = routes  # to name the route of requests answered before routing

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        given = header(scope, b"x-request-id")
        request_id = given if given and _REQUEST_ID.match(given) else uuid.uuid4().hex
        notes = state(scope)
        notes["request_id"] = request_id
        answered: list[int] = []

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                answered.append(message["status"])
                headers = [*message.get("headers", []), (b"x-request-id", request_id.encode())]
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception as error:  # nothing but a problem document leaves the server
            if not answered:
                await _failure(error, request_id)(scope, receive, send_with_id)
        finally:
            self._record(scope, answered[0] if answered else 500, started)

    def _record(self, scope: Scope, status: int, started: float) -> None:
        seconds = time.perf_counter() - started
        notes = state(scope)
        route = scope.get("route") or _route_of(scope, self.routes)
        template = getattr(route, "path_format", None) or "unmatched"
        command = getattr(route, "name", None) if scope["method"] == "POST" else None
        command = command if template.startswith("/refunds") else None
        metrics.observe(
            scope["method"], template, status, seconds, command, bool(notes.get("replayed"))
        )
        logger.info(
            "%s %s %s %d %.1fms actor=%s%s",
            notes["request_id"],
            scope["method"],
            scope["path"],
            status,
            seconds * 1000,
            notes.get("actor", "-"),
            " replayed" if notes.get("replayed") else "",
        )


def _route_of(scope: Scope, routes: Sequence[BaseRoute]) -> BaseRoute | None:
    """The route a request answered before routing (a replay, a 413) was meant for."""
    for route in routes:
        if route.matches(scope)[0] == Match.FULL:
            return route
    return None


def _failure(error: Exception, request_id: str) -> Any:
    if isinstance(error, PersistenceError):
        logger.error("%s database error: %s", request_id, " ".join(str(error).split()))
        return problems.named(
            "database-unavailable", "the ledger's database did not answer; try again", request_id
        )
    logger.exception("%s failed", request_id)
    return problems.named(
        "internal-error",
        "unexpected failure; quote the request id when reporting it",
        request_id,
    )


class BodyLimit:
    """Read the whole body first, refusing more than 64 KiB (declared or streamed) with 413;
    the routes and the idempotency layer then read it from `state["body"]`."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = header(scope, b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await self._refuse(scope, receive, send)
            return
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break  # the client went away; the routes see an empty body
            body += message.get("body", b"")
            if len(body) > self.limit:
                await self._refuse(scope, receive, send)
                return
            if not message.get("more_body", False):
                break
        state(scope)["body"] = bytes(body)
        delivered = False

        async def replay() -> Message:
            nonlocal delivered
            if delivered:
                return await receive()
            delivered = True
            return {"type": "http.request", "body": bytes(body), "more_body": False}

        await self.app(scope, replay, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        detail = f"the body is larger than {self.limit // 1024} KiB"
        response = problems.named("body-too-large", detail, state(scope).get("request_id"))
        await response(scope, receive, send)


class Authenticate:
    """Resolve `Authorization: Bearer TOKEN` to an actor (or the reason it cannot be); the
    routes then require one. Only the token decides who acts."""

    def __init__(self, app: ASGIApp, tokens: TokenStore) -> None:
        self.app = app
        self.tokens = tokens

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            given = header(scope, b"authorization")
            if given is not None:
                found = await to_thread.run_sync(self._check, given)
                notes = state(scope)
                notes["auth"] = found
                if isinstance(found, Actor):
                    notes["actor"] = str(found)
        await self.app(scope, receive, send)

    def _check(self, given: str) -> Actor | InvalidToken:
        scheme, _, token = given.strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return InvalidToken("use the header 'Authorization: Bearer TOKEN'")
        try:
            return self.tokens.authenticate(token.strip())
        except InvalidToken as error:
            return error
