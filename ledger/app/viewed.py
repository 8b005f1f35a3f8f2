"""What a read of the read models answers: what it found, and how fresh the views were."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from ledger.projections.freshness import Freshness

T = TypeVar("T")
#: A reader's input, parsed only once the reader may read (see ledger/app/queries.py).
Parse = Callable[[], T]


@dataclass(frozen=True)
class Viewed(Generic[T]):
    """What a read of the views found, and their freshness: `lag`, the stored events they
    had not seen (0: caught up); `note`, one line for a person ('' when they were current)."""

    found: T
    freshness: Freshness

    @property
    def lag(self) -> int:
        return self.freshness.lag

    @property
    def note(self) -> str:
        return self.freshness.note
