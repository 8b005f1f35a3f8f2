"""The layers every request passes through, outermost first:

RequestLog (request id, log line, metrics, Cache-Control, last-resort 500) -> BodyLimit
(64 KiB, 413) -> Authenticate (bearer token -> actor) -> Idempotency (replays POSTs by
Idempotency-Key) -> the routes. They are plain ASGI, so a response is never buffered twice.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Sequence
from typing import Any

from anyio import to_thread
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api import metrics, problems
from api.failures import DATABASE_ERRORS, failure_response
from api.logs import escape
from ledger.app.tokens import InvalidToken, Tokens
from ledger.domain.actor import Actor

logger = logging.getLogger("ledger.api")

MAX_BODY = 64 * 1024
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
NO_STORE = (b"cache-control", b"no-store")  # on every answer: none may be cached or shared
NO_TOKEN = "missing bearer token: send 'Authorization: Bearer TOKEN'"
UNCHECKED = frozenset({"/healthz"})  # answers about the database, so never waits for it


def header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None


def state(scope: Scope) -> dict[str, Any]:
    found: dict[str, Any] = scope.setdefault("state", {})
    return found


class RequestLog:
    """Give every request an id (the client's X-Request-Id when sane), log one line for it
    (the client's values escaped), count it, mark every answer `Cache-Control: no-store`,
    and answer any unexpected failure with a problem that names the id."""

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
                kept = [h for h in message.get("headers", []) if h[0].lower() != b"cache-control"]
                headers = [*kept, (b"x-request-id", request_id.encode()), NO_STORE]
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception as error:  # nothing but a problem document leaves the server
            if not answered:
                await failure_response(error, request_id, scope)(scope, receive, send_with_id)
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
        actor, replayed = notes.get("actor"), bool(notes.get("replayed"))
        fields = {
            "request_id": notes["request_id"],
            "method": scope["method"],
            "path": scope["path"],
            "status": status,
            "duration_ms": round(seconds * 1000, 1),
            "actor": actor,
            "replayed": replayed,
        }
        logger.info(
            "%s %s %s %d %.1fms actor=%s%s",
            notes["request_id"],
            escape(scope["method"]),
            escape(scope["path"]),
            status,
            seconds * 1000,
            escape(actor or "-"),
            " replayed" if replayed else "",
            extra={"http": fields},
        )


def _route_of(scope: Scope, routes: Sequence[BaseRoute]) -> BaseRoute | None:
    """The route a request answered before routing (a replay, a 413) was meant for."""
    for route in routes:
        if route.matches(scope)[0] == Match.FULL:
            return route
    return None


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
    """Resolve `Authorization: Bearer TOKEN` to an actor. Outside the `public` paths a request
    without a usable token is answered 401 here, before its body or parameters are read, so
    the answer never depends on what else is wrong with it (nor tells which routes exist).
    Only the token decides who acts."""

    def __init__(self, app: ASGIApp, tokens: Tokens, public: frozenset[str]) -> None:
        self.app = app
        self.tokens = tokens
        self.public = public

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in UNCHECKED:
            await self.app(scope, receive, send)
            return
        notes = state(scope)
        given = header(scope, b"authorization")
        try:
            found = (
                InvalidToken(NO_TOKEN)
                if given is None
                else await to_thread.run_sync(self._check, given)
            )
        except DATABASE_ERRORS:
            if scope["path"] not in self.public:
                raise
            found = InvalidToken(NO_TOKEN)  # /healthz tells of the database itself
        if isinstance(found, Actor):
            notes["auth"] = found
            notes["actor"] = str(found)
        elif scope["path"] not in self.public:
            response = problems.from_error(found, notes.get("request_id"))
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def _check(self, given: str) -> Actor | InvalidToken:
        scheme, _, token = given.strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return InvalidToken("use the header 'Authorization: Bearer TOKEN'")
        try:
            return self.tokens.authenticate(token.strip())
        except InvalidToken as error:
            return error
