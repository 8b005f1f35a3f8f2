"""A span of time given by `since` and `until`: both ends included, either may be open."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ledger.app import inputs
from ledger.domain.errors import InvalidInput


@dataclass(frozen=True)
class Period:
    """[since, until] in UTC; it cannot end before it starts."""

    since: datetime | None = None
    until: datetime | None = None

    def __post_init__(self) -> None:
        if self.since is not None and self.until is not None and self.since > self.until:
            raise InvalidInput(
                f"{{since}} is after {{until}} ({self.since.isoformat()} > "
                f"{self.until.isoformat()}): the period ends before it starts",
                "since",
                ("since", "until"),
            )

    @classmethod
    def parse(cls, since: str | None, until: str | None) -> Period:
        """The period from `since` and `until` as typed (ISO 8601; UTC without a zone)."""
        return cls(
            since=None if since is None else inputs.moment(since, field="since"),
            until=None if until is None else inputs.moment(until, field="until"),
        )

    def holds(self, moment: datetime | None) -> bool:
        """Whether the moment lies in the period (an unknown moment only in an open one)."""
        if moment is None:
            return self.since is None and self.until is None
        return (self.since is None or moment >= self.since) and (
            self.until is None or moment <= self.until
        )

    def to_json(self) -> dict[str, str | None]:
        return {
            "since": None if self.since is None else self.since.isoformat(),
            "until": None if self.until is None else self.until.isoformat(),
        }
