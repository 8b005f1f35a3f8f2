"""How the relay waits between attempts when Kafka fails, and when it stops trying."""

from __future__ import annotations

import random
from dataclasses import dataclass


class BrokerUnavailable(Exception):
    """Catching up once, the broker kept failing for longer than the caller allowed."""


@dataclass
class Backoff:
    """Exponential delays with jitter: 0.5 s, 1 s, 2 s ... up to `cap`."""

    first: float = 0.5
    cap: float = 10.0
    failures: int = 0

    def next(self) -> float:
        delay = min(self.cap, self.first * 2**self.failures)
        self.failures += 1
        return random.uniform(delay / 2, delay)

    def reset(self) -> None:
        self.failures = 0
