"""Bearer tokens for the HTTP API, in the `api_tokens` table of the ledger's own database.

A token reads `rlk_<id>_<secret>`: the id (16 hex characters) names the row and may be
shown, logged and typed back to revoke it; the secret is shown once, when it is issued. The
table keeps only the SHA-256 of the whole token, the actor it stands for, and its times
(ISO 8601 UTC text, the same on SQLite and PostgreSQL).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from psycopg import sql

from ledger.domain.actor import RESERVED, Actor
from ledger.domain.errors import InvalidInput, LedgerError
from ledger.store.tracking import ViewStore, fixed, open_store

if TYPE_CHECKING:
    from ledger.app.service import RefundLedger

TABLE = "api_tokens"
PREFIX = "rlk_"
_TOKEN = re.compile(r"rlk_([0-9a-f]{16})_([A-Za-z0-9_-]{43})")  # token_urlsafe(32): 43 chars
_ID = re.compile(r"[0-9a-f]{16}")
_COLUMNS = sql.SQL("id, actor, created_at, expires_at, revoked_at")
_SELECT_ROW = fixed(  # every request's token
    sql.SQL("SELECT {}, token_sha256 FROM {} WHERE id = %s").format(_COLUMNS, sql.Identifier(TABLE))
)


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


def iso(moment: datetime | None) -> str | None:
    """ISO 8601 in UTC with a `Z`, fixed width, so the stored text sorts as time does."""
    if moment is None:
        return None
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


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


def tokens_schema() -> list[sql.Composable]:
    """The token table (the same statement on SQLite and PostgreSQL)."""
    return [
        sql.SQL(
            "CREATE TABLE IF NOT EXISTS {} ("
            "id TEXT PRIMARY KEY, token_sha256 TEXT NOT NULL, actor TEXT NOT NULL, "
            "created_at TEXT NOT NULL, expires_at TEXT, revoked_at TEXT)"
        ).format(sql.Identifier(TABLE))
    ]


class TokenStore:
    """Issue, list, revoke and check bearer tokens."""

    def __init__(self, store: ViewStore, clock: Callable[[], datetime]) -> None:
        self.store = store
        self.clock = clock
        store.ensure("access.tokens", tokens_schema())

    @classmethod
    def open(cls, app: RefundLedger) -> TokenStore:
        """The token store on the application's database, on the application's clock."""
        return cls(open_store(app), app.clock)

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
        with self.store.writing() as db:
            db.execute(
                sql.SQL(
                    "INSERT INTO {} (id, token_sha256, actor, created_at, expires_at) "
                    "VALUES (%s, %s, %s, %s, %s)"
                ).format(sql.Identifier(TABLE)),
                (new_id, _digest(token), str(actor), iso(created_at), iso(expires_at)),
            )
        return IssuedToken(new_id, token, str(actor), created_at, expires_at)

    def list(self) -> list[TokenInfo]:
        """Every token, oldest first."""
        with self.store.reading() as db:
            rows = db.rows(
                sql.SQL("SELECT {} FROM {} ORDER BY created_at, id").format(
                    _COLUMNS, sql.Identifier(TABLE)
                )
            )
        return [_info(row) for row in rows]

    def revoke(self, token_id: str) -> TokenInfo:
        """Revoke the token now; a token revoked before keeps its first revocation time."""
        with self.store.writing() as db:
            rows = db.rows(
                sql.SQL(
                    "UPDATE {} SET revoked_at = COALESCE(revoked_at, %s) WHERE id = %s RETURNING {}"
                ).format(sql.Identifier(TABLE), _COLUMNS),
                (iso(self.clock()), token_id),
            )
        if not rows:
            raise TokenNotFound(token_id)
        return _info(rows[0])

    def authenticate(self, presented: str) -> Actor:
        """The actor a presented token stands for, or InvalidToken saying what is wrong."""
        if not presented:
            raise InvalidToken("missing bearer token")
        matched = _TOKEN.fullmatch(presented)  # fullmatch: `$` would let a "\n" through
        if matched is None:
            raise InvalidToken("malformed bearer token")
        found = self._row(matched.group(1))
        if found is None or not hmac.compare_digest(found["token_sha256"], _digest(presented)):
            raise InvalidToken("unknown bearer token")
        info = _info(found)
        if info.revoked_at is not None:
            raise InvalidToken(f"bearer token {info.id} was revoked")
        if info.expires_at is not None and info.expires_at <= self.clock():
            raise InvalidToken(f"bearer token {info.id} expired at {iso(info.expires_at)}")
        actor = Actor.parse(info.actor)
        if actor in RESERVED:  # issued before reserved actors were refused: never honoured
            raise InvalidToken(f"bearer token {info.id} stands for {actor}, the ledger's own actor")
        return actor

    def _row(self, token_id: str) -> dict[str, Any] | None:
        with self.store.single() as db:
            rows = db.rows(_SELECT_ROW, (token_id,))
        return rows[0] if rows else None


def _info(row: dict[str, Any]) -> TokenInfo:
    return TokenInfo(
        id=row["id"],
        actor=row["actor"],
        created_at=datetime.fromisoformat(row["created_at"]),
        expires_at=_moment(row["expires_at"]),
        revoked_at=_moment(row["revoked_at"]),
    )
