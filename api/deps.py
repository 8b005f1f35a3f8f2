"""What the routes are given: the application, the read models, and the acting actor."""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Annotated, ParamSpec, TypeVar

from fastapi import Depends, Request, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool
from starlette.requests import HTTPConnection

from api.middleware import NO_TOKEN
from ledger.app.health import HealthProbe, renew_connections
from ledger.app.service import RefundLedger
from ledger.app.tokens import InvalidToken
from ledger.domain.actor import Actor
from ledger.projections.freshness import catch_up_or_lag
from ledger.projections.runner import Projections
from ledger.store.tracking import ViewStore

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
    projections: Projections
    health: HealthProbe
    _catching_up: threading.Lock = field(default_factory=threading.Lock)

    def fresh(self, response: Response, *views: str) -> ViewStore:
        """The views' store, caught up with every stored event first (reads see every write
        that was answered before them). One catch-up at a time per process: the others then
        find nothing left to apply. When the database will not take the views' writes (disk
        full, read-only), the views as they stand. Either way `X-View-Lag` says how many
        stored events they have not seen (0: none)."""
        with self._catching_up:
            freshness = catch_up_or_lag(self.projections, *views)
        if freshness.note:
            logger.warning("%s", freshness.note)
        response.headers[LAG_HEADER] = str(freshness.lag)
        return self.projections.store

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
Views = Annotated[Services, Depends(services)]
Who = Annotated[Actor, Depends(actor)]
