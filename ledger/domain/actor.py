"""Actors: `ROLE:NAME`, where NAME identifies the person and ROLE the capacity they act in."""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict

from ledger.domain.errors import InvalidActor
from ledger.domain.vocabulary import ROLES

_NAME = re.compile(r"^[a-z0-9][a-z0-9._@+-]{0,99}$")


class Actor(BaseModel):
    """Who acts, and in which capacity. Names compare case-insensitively."""

    model_config = ConfigDict(frozen=True)

    role: str
    name: str

    @classmethod
    def parse(cls, text: str) -> Actor:
        role, sep, name = text.strip().partition(":")
        if not sep:
            raise InvalidActor(text, "expected ROLE:NAME, e.g. manager:bob")
        role, name = role.lower(), name.lower()
        if role not in ROLES:
            raise InvalidActor(text, f"unknown role {role!r}; roles are {', '.join(ROLES)}")
        if not _NAME.match(name):
            raise InvalidActor(
                text, "NAME must be 1-100 letters, digits or . _ @ + - and start with one"
            )
        return cls(role=role, name=name)

    @classmethod
    def acting(cls, text: str) -> Actor:
        """An actor who may act through a command (`--actor`, a token): any actor but the
        ledger's own. `parse` stays for reading stored events and for search filters."""
        return cls.parse(text).require_acting()

    def require_acting(self) -> Actor:
        """This actor, unless it is reserved: nobody may act as the automatic policy, or
        their actions would read exactly like the ledger's own decisions."""
        if self in RESERVED:
            raise InvalidActor(
                str(self), "it is the ledger's own actor (its automatic decisions); act as yourself"
            )
        return self

    @property
    def person(self) -> str:
        """The person behind the actor: separation-of-duty rules compare these."""
        return self.name

    def __str__(self) -> str:
        return f"{self.role}:{self.name}"


SYSTEM_POLICY = Actor(role="system", name="policy")
RESERVED = frozenset({SYSTEM_POLICY})  # no token is issued for these and no command takes them
