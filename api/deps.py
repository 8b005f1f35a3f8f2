"""What the routes are given: the command and query services, and the acting actor."""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, ParamSpec, TypeVar

from fastapi import Depends, Request, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool
from starlette.requests import HTTPConnection

from api.middleware import NO_TOKEN
from ledger.app.health import renew_connections
from ledger.app.queries import RefundQueries, Viewed
from ledger.app.service import RefundLedger
from ledger.app.tokens import InvalidToken
from ledger.domain.actor import Actor

LAG_HEADER = "X-View-Lag"
logger = logging.getLogger("ledger.api")
P = ParamSpec("P")
T = TypeVar("T")


def in_thread(route: Callable[P, T]) -> Callable[P, Awaitable[T]]:
    """Run a blocking route in the thread pool, as FastAPI runs a plain `def`, but as one
    hand-over: for a plain `def` FastAPI hands the response's validation to the pool again."""

    @functools.wraps(route)
    async def run(*args: P.args, **kwargs: P.kwargs) -> T:
        return await run_in_threadpool(route, *args, **kwargs)

    return run


@dataclass
class Services:
    """One per server process, built by `create_app`."""

    ledger: RefundLedger
    queries: RefundQueries

    def database_lost(self) -> None:
        """A request found the database gone: renew the pool's idle connections now."""
        renew_connections(self.ledger)


# The dependencies are `async def` although they never wait: FastAPI runs a plain `def`
# dependency in its thread pool, a hand-over to another thread (and back) per dependency and
# request, where these only read an attribute.
async def services(request: Request) -> Services:
    found: Services = request.app.state.services
    return found


async def ledger_app(request: Request) -> RefundLedger:
    return (await services(request)).ledger


async def query_service(request: Request) -> RefundQueries:
    return (await services(request)).queries


def lagged(response: Response, viewed: Viewed[T]) -> T:
    """What a read of the views found; `X-View-Lag` says how many stored events the views had
    not seen (0: none; more only when the database took no writes, so that they could not be
    caught up first, which is logged too)."""
    if viewed.note:
        logger.warning("%s", viewed.note)
    response.headers[LAG_HEADER] = str(viewed.lag)
    return viewed.found


class DocumentedBearer(HTTPBearer):
    """The bearer scheme, for the OpenAPI document only: the Authenticate layer has read and
    checked the token before any route runs, so reading the header again here would be work
    for nothing (1% of a request's instructions, counted)."""

    async def __call__(self, request: HTTPConnection) -> HTTPAuthorizationCredentials | None:
        return None


bearer = DocumentedBearer(
    auto_error=False, scheme_name="HTTPBearer", description="A token from `ledger tokens issue`."
)


async def actor(
    request: Request,
    _documented: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Actor:
    """The token's actor (resolved by the Authenticate layer, which answers 401 itself when
    the token is missing or not usable). `_documented` only puts the bearer scheme into the
    OpenAPI document."""
    found = getattr(request.state, "auth", None)
    if isinstance(found, Actor):
        return found
    raise InvalidToken(NO_TOKEN)  # only on a path Authenticate calls public


Ledger = Annotated[RefundLedger, Depends(ledger_app)]
Queries = Annotated[RefundQueries, Depends(query_service)]
Who = Annotated[Actor, Depends(actor)]
