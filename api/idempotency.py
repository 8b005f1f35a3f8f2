"""`Idempotency-Key` on every POST: the first response is kept and replayed; the same key with
another body is refused with 409.

Keys are scoped by the authenticated actor. Only the answers of commands the actor was allowed
to run are kept: done (2xx), or refused by the refund's state or a concurrent change (409).
Refusals of the actor are not kept (401, 403, and 404, which to a customer is also another
customer's refund), so that refused callers cannot fill the store, nor are input errors
(400, 413, 415, 422), unknown routes or methods (404, 405) or server failures: the client
may correct the request, or retry, with the same key.

The response is held until it is kept (or released): once a client has the answer, a retry
with the same key replays it, never finding the key still in progress. A retry while the key
is pending in a live server process gets 409 `idempotency-in-progress` with `Retry-After`;
one whose process died runs the command again (ledger.store.replays), which is safe: this store is a
cache, and the guard against running a command twice is the key the application records with
the command's own events (`ledger.app.keys`). A process that dies after the commit and before
keeping the answer leaves nothing that a retry could run again: the retry gets the first
result back.

Test hooks: LEDGER_TEST_HOLD_AFTER_RESERVE=PATH holds every request after its key is reserved
and before its command runs (after logging "holding Idempotency-Key ...") until the file PATH
exists, so a test can kill the server while the key is pending.
LEDGER_TEST_PAUSE_AFTER_COMMIT=SECONDS holds each keyed command's answer that long after its
commit, before it is kept or sent, and says `paused after commit` on stderr first, so that a
test can SIGKILL the server in that window.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path
from typing import Protocol

import anyio
from anyio import to_thread
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api import problems
from api.middleware import header, state
from ledger.app.inputs import identifier
from ledger.domain.errors import InvalidInput
from ledger.store.failures import classify
from ledger.store.replay_outcomes import (
    InProgress,
    Mismatch,
    Outcome,
    Replay,
    StoredResponse,
    fingerprint,
)

logger = logging.getLogger("ledger.api")


class KeptAnswers(Protocol):
    """What this layer needs of the store of first answers (the container's `replays()`,
    ledger/store/replays.py): it names the outcomes, never the store's machinery."""

    def reserve(self, scope: str, key: str, fingerprint: str) -> Outcome: ...
    def complete(self, scope: str, key: str, response: StoredResponse) -> None: ...
    def release(self, scope: str, key: str) -> None: ...
    def purge(self) -> int: ...


KEPT_HEADERS = (b"content-type", b"location")
PURGE_EVERY = 3600.0  # seconds between removals of responses past their retention
PAUSE_HOOK = "LEDGER_TEST_PAUSE_AFTER_COMMIT"
PAUSED = "paused after commit"
HOLD_HOOK = "LEDGER_TEST_HOLD_AFTER_RESERVE"
HOLD_POLL = 0.05  # seconds between looks for the hook's file


def kept_status(status: int) -> bool:
    """Whether an answer with this status is kept for its key (allowed by list)."""
    return 200 <= status < 300 or status == 409


class Idempotency:
    def __init__(self, app: ASGIApp, replays: KeptAnswers) -> None:
        self.app = app
        self.replays = replays
        self.purged_at = float("-inf")
        self.pause_after_commit = float(os.environ.get(PAUSE_HOOK) or 0)
        held = os.environ.get(HOLD_HOOK)
        self.hold_until = Path(held) if held else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = header(scope, b"idempotency-key") if scope["type"] == "http" else None
        notes = state(scope) if key is not None else {}
        actor = notes.get("actor")
        if key is None or scope["method"] != "POST" or actor is None:
            await self.app(scope, receive, send)  # unauthenticated requests get their 401
            return
        request_id = notes.get("request_id")
        try:
            key = identifier(key, "Idempotency-Key")
        except InvalidInput as error:
            await problems.named("invalid-idempotency-key", error.message, request_id)(
                scope, receive, send
            )
            return
        target = scope["path"] + (
            "?" + scope["query_string"].decode() if scope["query_string"] else ""
        )
        print_ = fingerprint("POST", target, notes.get("body", b""))
        if time.monotonic() - self.purged_at > PURGE_EVERY:
            self.purged_at = time.monotonic()
            await to_thread.run_sync(self.replays.purge)
        outcome = await to_thread.run_sync(self.replays.reserve, actor, key, print_)
        match outcome:
            case Replay(response=kept):
                notes["replayed"] = True
                await _send(kept, send)
            case Mismatch():
                detail = f"Idempotency-Key {key!r} was used for a different request; use a new key"
                await problems.named("idempotency-key-reused", detail, request_id)(
                    scope, receive, send
                )
            case InProgress(retry_after=seconds):
                detail = (
                    f"a request with Idempotency-Key {key!r} is still running; retry in {seconds} s"
                )
                busy = problems.named("idempotency-in-progress", detail, request_id)
                busy.headers["Retry-After"] = str(seconds)
                await busy(scope, receive, send)
            case _:
                if self.hold_until is not None:
                    await self._hold(key, self.hold_until)
                await self._run(scope, receive, send, actor, key)

    async def _hold(self, key: str, until: Path) -> None:
        """The test hook: wait, the key reserved and its command not run, until `until` exists."""
        logger.warning("holding Idempotency-Key %r until %s exists", key, until)
        while not until.exists():
            await anyio.sleep(HOLD_POLL)

    async def _run(self, scope: Scope, receive: Receive, send: Send, actor: str, key: str) -> None:
        status = 500
        headers: list[tuple[str, str]] = []
        body = bytearray()
        held: list[Message] = []

        async def keep(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers.extend(
                    (name.decode("latin-1"), value.decode("latin-1"))
                    for name, value in message.get("headers", [])
                    if name.lower() in KEPT_HEADERS
                )
            elif message["type"] == "http.response.body":
                body.extend(message.get("body", b""))
            held.append(message)

        try:
            await self.app(scope, receive, keep)
        except BaseException:
            await to_thread.run_sync(self.replays.release, actor, key)
            raise
        if self.pause_after_commit and 200 <= status < 300:
            logger.warning("%s %s", state(scope).get("request_id"), PAUSED)
            await anyio.sleep(self.pause_after_commit)
        try:
            if not kept_status(status):
                await to_thread.run_sync(self.replays.release, actor, key)
            else:
                kept = StoredResponse(status=status, headers=tuple(headers), body=bytes(body))
                await to_thread.run_sync(self.replays.complete, actor, key, kept)
        except Exception as error:  # the command ran: its answer still goes out (a retry
            # finds the key recorded with the command's events and gets this answer again)
            failure = classify(error)
            if failure is None:
                logger.exception(
                    "%s the response to this key was not kept", state(scope).get("request_id")
                )
            else:  # a failure of the environment: one line, no traceback
                logger.error(
                    "%s the response to this key was not kept: %s",
                    state(scope).get("request_id"),
                    failure.message,
                )
        for message in held:
            await send(message)


async def _send(kept: StoredResponse, send: Send) -> None:
    headers = [(name.encode("latin-1"), value.encode("latin-1")) for name, value in kept.headers]
    headers.append((b"idempotent-replayed", b"true"))
    headers.append((b"content-length", str(len(kept.body)).encode()))
    await send({"type": "http.response.start", "status": kept.status, "headers": headers})
    await send({"type": "http.response.body", "body": kept.body})
