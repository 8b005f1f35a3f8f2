"""Optimistic concurrency: when another writer saved first, reload and run the command again."""

from __future__ import annotations

import random
import time
from collections.abc import Iterator

MAX_ATTEMPTS = 30


class Attempt:
    def __init__(self, number: int) -> None:
        self.number = number

    def failed(self) -> None:
        # Another writer saved first: back off a little, with jitter, and re-run the command.
        time.sleep(min(0.002 * 2 ** min(self.number, 6), 0.1) * random.random())


def attempts() -> Iterator[Attempt]:
    """Up to MAX_ATTEMPTS tries; call `failed()` on one to back off before the next."""
    for number in range(MAX_ATTEMPTS):
        yield Attempt(number)
