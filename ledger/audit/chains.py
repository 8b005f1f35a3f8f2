"""Check refund chains from stored rows: contiguous versions, linked hashes, the checkpoint.

Rows are fed in notification-log order (each refund's events in version order); every row is
decoded on its own, so an undecodable row is a break at its place, never a crash.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from eventsourcing.persistence import StoredEvent

from ledger.domain.chain import GENESIS, UNCHAINED, event_hash
from ledger.domain.refund_events import Requested
from ledger.store.recorders import CHAINED_TOPICS, state_digest

Checkpoint = Mapping[str, tuple[int, str]]  # refund id -> (version, SHA-256 of its state)


@dataclass(frozen=True)
class Break:
    """The first broken place of one refund's chain."""

    refund_id: str
    version: int
    problem: str
    at_head: bool = field(default=False, compare=False)  # found against the checkpoint

    def describe(self) -> str:
        return f"refund {self.refund_id} version {self.version}: {self.problem}"


@dataclass
class Report:
    refunds: int = 0
    events: int = 0
    breaks: list[Break] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not self.breaks

    def as_json(self) -> dict[str, Any]:
        first = self.breaks[0] if self.breaks else None
        return {
            "intact": self.intact,
            "refunds": self.refunds,
            "events": self.events,
            "first_break": None if first is None else _break_json(first),
            "breaks": [_break_json(b) for b in self.breaks],
        }


def _break_json(item: Break) -> dict[str, Any]:
    return {"refund_id": item.refund_id, "version": item.version, "problem": item.problem}


@dataclass
class _Chain:
    version: int = 0
    head: str = GENESIS
    digest: str = ""


class ChainVerifier:
    """Feed every stored refund event in log order, then `finish` with the checkpoint."""

    def __init__(self, decode: Callable[[StoredEvent], Any]) -> None:
        self.decode = decode
        self.chains: dict[str, _Chain] = {}
        self.broken: dict[str, Break] = {}
        self.events = 0

    def feed(self, row: StoredEvent) -> str | None:
        """Check one row; return its chain hash, or None when the chain broke here."""
        refund_id = str(row.originator_id)
        self.events += 1
        chain = self.chains.setdefault(refund_id, _Chain())
        if refund_id in self.broken:
            return None
        expected = chain.version + 1
        if row.originator_version != expected:
            found = row.originator_version
            self._break(
                refund_id, expected, f"missing or out of order (version {found} comes next)"
            )
            return None
        if row.topic not in CHAINED_TOPICS:  # never resolve a topic the ledger did not write
            self._break(refund_id, expected, f"unknown event type {row.topic!r}")
            return None
        try:
            event = self.decode(row)
            prev_hash, own_hash = event.prev_hash, event_hash(event)
        except Exception as error:  # any undecodable row is a break, not a crash
            self._break(refund_id, expected, f"undecodable ({type(error).__name__})")
            return None
        if isinstance(event, Requested) != (expected == 1):
            self._break(refund_id, expected, "a request must be version 1, and only it")
            return None
        if prev_hash == UNCHAINED:
            self._break(refund_id, expected, "stored before the hash chain existed (no prev_hash)")
            return None
        if prev_hash != chain.head:
            where, what = (
                (chain.version, f"does not match the hash in version {expected} (one was altered)")
                if chain.version
                else (expected, "does not start the chain")
            )
            self._break(refund_id, where, what)
            return None
        chain.version, chain.head, chain.digest = expected, own_hash, state_digest(row.state)
        return str(own_hash)

    def _break(self, refund_id: str, version: int, problem: str, at_head: bool = False) -> None:
        self.broken[refund_id] = Break(refund_id, version, problem, at_head)

    def finish(self, checkpoint: Checkpoint) -> Report:
        for refund_id in sorted(set(checkpoint) | set(self.chains)):
            if refund_id not in self.broken:
                self._check_head(refund_id, checkpoint.get(refund_id))
        return Report(len(self.chains), self.events, list(self.broken.values()))

    def _check_head(self, refund_id: str, head: tuple[int, str] | None) -> None:
        found = _head_problem(self.chains.get(refund_id), head)
        if found is not None:
            self._break(refund_id, *found, at_head=True)


def _head_problem(chain: _Chain | None, head: tuple[int, str] | None) -> tuple[int, str] | None:
    """Where and how a chain's newest event disagrees with the checkpoint, if it does."""
    if chain is None:
        assert head is not None
        return 1, f"removed with all its events (the checkpoint records version {head[0]})"
    if head is None:
        return 1, "not in the checkpoint (inserted outside the ledger)"
    if chain.version < head[0]:
        return chain.version + 1, f"removed (the checkpoint records version {head[0]})"
    if chain.version > head[0]:
        return head[0] + 1, "not in the checkpoint (inserted)"
    if chain.digest != head[1]:
        return chain.version, "altered (differs from the checkpoint)"
    return None
