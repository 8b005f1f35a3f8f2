"""A bearer token of the HTTP API as events: issued (who it stands for, until when, the
SHA-256 of the whole token) and revoked. The `api_tokens` table is read on every request;
these events are what it must agree with, and they are in the audit log like every event."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate

from ledger.domain.ids import LEDGER_NAMESPACE


class ApiToken(Aggregate):
    class Issued(Aggregate.Created):
        token_id: str
        token_sha256: str
        actor: str
        expires_at: str | None  # ISO 8601 UTC, as the table keeps it; None: never

    class Revoked(Aggregate.Event):
        def apply(self, aggregate: ApiToken) -> None:
            aggregate.revoked_at = self.timestamp

    def __init__(self, token_id: str, token_sha256: str, actor: str, expires_at: str | None):
        self.token_id = token_id
        self.token_sha256 = token_sha256
        self.actor = actor
        self.expires_at = expires_at
        self.revoked_at: datetime | None = None

    @staticmethod
    def id_for(token_id: str) -> UUID:
        return uuid5(LEDGER_NAMESPACE, f"/token/{token_id}")

    @classmethod
    def issue(
        cls, token_id: str, token_sha256: str, actor: str, expires_at: str | None, at: datetime
    ) -> ApiToken:
        return cls._create(
            cls.Issued,
            id=cls.id_for(token_id),
            token_id=token_id,
            token_sha256=token_sha256,
            actor=actor,
            expires_at=expires_at,
            timestamp=at,
        )

    def revoke(self, at: datetime) -> None:
        """Revoke once: a second revocation changes nothing (the first time is kept)."""
        if self.revoked_at is None:
            self.trigger_event(self.Revoked, timestamp=at)
