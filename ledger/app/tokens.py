"""Bearer tokens for the HTTP API: who may have one, what it looks like, when it stops working.

A token reads `rlk_<id>_<secret>`: the id (16 hex characters) names the row and may be
shown, logged and typed back to revoke it; the secret is shown once, when it is issued. The
table (ledger/store/tokens.py) keeps only the SHA-256 of the whole token, the actor it
stands for, and its times.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from eventsourcing.application import AggregateNotFoundError

from ledger.domain.actor import RESERVED, Actor
from ledger.domain.errors import InvalidInput, LedgerError
from ledger.domain.token import ApiToken
from ledger.store.tokens import TokenTable, events_of
from ledger.store.tokens import iso as iso  # the tokens' times as shown and stored
from ledger.store.tracking import ViewStore, open_store

if TYPE_CHECKING:
    from ledger.app.service import RefundLedger

logger = logging.getLogger(__name__)
Adoption = tuple[list[str], list[str]]  # the token ids adopted, those left refused
PREFIX = "rlk_"
_TOKEN = re.compile(r"rlk_([0-9a-f]{16})_([A-Za-z0-9_-]{43})")  # token_urlsafe(32): 43 chars
_ID = re.compile(r"[0-9a-f]{16}")


class InvalidToken(LedgerError):
    """Missing, malformed, unknown, expired or revoked: the message says which, never the secret."""

    code = "invalid-token"


class TokenNotFound(LedgerError):
    code = "token-not-found"

    def __init__(self, token_id: str) -> None:
        super().__init__(f"token {token_id} not found")


@dataclass(frozen=True)
class IssuedToken:
    """A new token: `token` is the only copy of the secret there will ever be."""

    id: str
    token: str
    actor: str
    created_at: datetime
    expires_at: datetime | None


@dataclass(frozen=True)
class TokenInfo:
    """What may be shown about a token: never the token or its hash."""

    id: str
    actor: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None

    def status(self, now: datetime) -> str:
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= now:
            return "expired"
        return "active"

    def to_json(self, now: datetime) -> dict[str, Any]:
        return {
            "id": self.id,
            "actor": self.actor,
            "created_at": iso(self.created_at),
            "expires_at": iso(self.expires_at),
            "revoked_at": iso(self.revoked_at),
            "status": self.status(now),
        }


def _moment(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def token_id(text: str) -> str:
    """A token id as typed by a person (16 hex characters), or InvalidInput."""
    value = text.strip().lower()
    if not _ID.fullmatch(value):
        raise InvalidInput(f"invalid token id {text!r}: expected 16 hex characters as printed")
    return value


def _digest(token: str) -> str:
    # The secret is 256 random bits, so a plain SHA-256 cannot be brute-forced: a slow,
    # salted password hash would only make every request slower.
    return hashlib.sha256(token.encode()).hexdigest()


class Tokens:
    """Issue, list, revoke and check bearer tokens. Each token is an aggregate of events
    (ledger/domain/token.py) saved by the ledger, and a row of `api_tokens`, which every
    request reads with the number of its token's events: a row that does not agree with its
    events (edited, or inserted without them) authenticates nobody."""

    def __init__(
        self, ledger: RefundLedger, store: ViewStore, clock: Callable[[], datetime]
    ) -> None:
        self.ledger = ledger
        self.table = TokenTable(store, *events_of(ledger.recorder))
        self.clock = clock
        self._known: dict[str, tuple[int, ApiToken]] = {}  # token id -> (events, the token)
        self._lock = threading.Lock()

    @classmethod
    def open(cls, app: RefundLedger) -> Tokens:
        """The tokens on the application's database, on the application's clock."""
        return cls(app, open_store(app), app.clock)

    def issue(self, actor: Actor, expires_in_days: int | None) -> IssuedToken:
        """A new token for `actor`; `None` days means it never expires. None is issued for
        a reserved actor (`system:policy`): nobody may act as the ledger's own policy."""
        actor.require_acting()
        new_id = secrets.token_hex(8)
        token = f"{PREFIX}{new_id}_{secrets.token_urlsafe(32)}"
        created_at = self.clock().astimezone(UTC)
        expires_at = None
        if expires_in_days is not None:
            expires_at = created_at + timedelta(days=expires_in_days)
        digest = _digest(token)
        self.ledger.save(ApiToken.issue(new_id, digest, str(actor), iso(expires_at), created_at))
        self.table.insert(new_id, digest, str(actor), created_at, expires_at)
        return IssuedToken(new_id, token, str(actor), created_at, expires_at)

    def list(self) -> list[TokenInfo]:
        """Every token, oldest first."""
        return [_info(row) for row in self.table.rows()]

    def revoke(self, token_id: str) -> TokenInfo:
        """Revoke the token now; a token revoked before keeps its first revocation time."""
        found = self.aggregate(token_id)
        if found is None:
            raise TokenNotFound(token_id)
        found.revoke(self.clock())
        self.ledger.save(found)
        assert found.revoked_at is not None
        row = self.table.revoke(token_id, found.revoked_at)
        if row is None:
            raise TokenNotFound(token_id)
        return _info(row)

    def adopt(self) -> Adoption:
        """Write the issuing (and revoking) events of the rows an older ledger left without
        them, so that they authenticate again: the operator vouches for those rows by
        running this. A row for the ledger's own actor, or for no actor at all, is left as
        it is (refused). Returns the ids adopted and those left."""
        adopted: list[str] = []
        left: list[str] = []
        for row in self.table.every_row():
            if self.aggregate(row["id"]) is not None:
                continue
            try:
                actor = Actor.parse(row["actor"])
            except LedgerError:
                actor = None
            if actor is None or actor in RESERVED:
                left.append(row["id"])
                continue
            token = ApiToken.issue(
                row["id"],
                row["token_sha256"],
                row["actor"],
                row["expires_at"],
                datetime.fromisoformat(row["created_at"]),
            )
            if row["revoked_at"] is not None:
                token.revoke(datetime.fromisoformat(row["revoked_at"]))
            self.ledger.save(token)
            adopted.append(row["id"])
        return adopted, left

    def aggregate(self, token_id: str) -> ApiToken | None:
        """The token as its events make it (None: no event issued it)."""
        try:
            found: ApiToken = self.ledger.repository.get(ApiToken.id_for(token_id))
        except AggregateNotFoundError:
            return None
        return found

    def _token(self, token_id: str, versions: int) -> ApiToken | None:
        """The token as its events make it, read again only when it has new events."""
        with self._lock:
            known = self._known.get(token_id)
        if known is not None and known[0] == versions:
            return known[1]
        found = self.aggregate(token_id) if versions else None
        if found is not None:
            with self._lock:
                self._known[token_id] = (found.version, found)
        return found

    def authenticate(self, presented: str) -> Actor:
        """The actor a presented token stands for, or InvalidToken saying what is wrong."""
        if not presented:
            raise InvalidToken("missing bearer token")
        matched = _TOKEN.fullmatch(presented)  # fullmatch: `$` would let a "\n" through
        if matched is None:
            raise InvalidToken("malformed bearer token")
        token_id = matched.group(1)
        found = self.table.row(token_id, ApiToken.id_for(token_id))
        if found is None or not hmac.compare_digest(found["token_sha256"], _digest(presented)):
            raise InvalidToken("unknown bearer token")
        token = self._token(token_id, int(found["versions"]))
        problem = disagreement(found, token)
        if problem is not None:
            logger.warning("bearer token %s refused: %s", token_id, problem)
            if token is None:
                raise InvalidToken(
                    f"bearer token {token_id} has no issuing events (issued before tokens "
                    "were logged: `ledger tokens adopt`)"
                )
            raise InvalidToken(f"bearer token {token_id} does not match its issuing events")
        info = _info(found)
        if info.revoked_at is not None:
            raise InvalidToken(f"bearer token {info.id} was revoked")
        if info.expires_at is not None and info.expires_at <= self.clock():
            raise InvalidToken(f"bearer token {info.id} expired at {iso(info.expires_at)}")
        actor = Actor.parse(info.actor)
        if actor in RESERVED:  # issued before reserved actors were refused: never honoured
            raise InvalidToken(f"bearer token {info.id} stands for {actor}, the ledger's own actor")
        return actor


def disagreement(row: dict[str, Any], token: ApiToken | None) -> str | None:
    """How a row of `api_tokens` differs from its token's events, or None when it agrees."""
    if token is None:
        return "no events issued it (inserted, or issued before tokens were logged)"
    expected = {
        "token_sha256": token.token_sha256,
        "actor": token.actor,
        "created_at": iso(token.created_on),
        "expires_at": token.expires_at,
        "revoked_at": iso(token.revoked_at),
    }
    for column, value in expected.items():
        if row.get(column) != value:
            return f"its {column} is not the one its events record"
    return None


def _info(row: dict[str, Any]) -> TokenInfo:
    return TokenInfo(
        id=row["id"],
        actor=row["actor"],
        created_at=datetime.fromisoformat(row["created_at"]),
        expires_at=_moment(row["expires_at"]),
        revoked_at=_moment(row["revoked_at"]),
    )
