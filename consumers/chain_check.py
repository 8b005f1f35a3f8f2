"""Hash-chain continuity of one refund, checked as each event arrives.

The body carries everything `ledger.domain.chain.chain_hash` hashes (refund, version, time,
type, payload as dumped, prev_hash), so the hash is recomputed here from the body alone, with
the ledger's own function: no domain object, no event store. An event continues its refund's
chain when its version is the last one plus one, its prev_hash is the last hash (GENESIS for
version 1), and its hash is the one its content gives. Events stored before the chain existed
arrive with an empty prev_hash: the first of a refund is reported, the ones after it are not.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ledger.domain.chain import GENESIS, UNCHAINED, chain_hash


@dataclass(frozen=True)
class Head:
    """The last event of a refund the archive continued the chain with."""

    version: int
    hash: str
    unchained: bool = False  # it was stored before the hash chain existed (no prev_hash)


def recomputed_hash(body: dict[str, Any]) -> str:
    """The chain hash the body's content gives (as the ledger computed it when storing it)."""
    return chain_hash(
        str(body["refund_id"]),
        int(body["version"]),
        datetime.fromisoformat(str(body["at"])),
        str(body["type"]),
        dict(body["payload"]),
        str(body["prev_hash"]),
    )


def chain_problems(head: Head | None, body: dict[str, Any]) -> list[str]:
    """What breaks the chain in this arrival, given the refund's head (empty: it continues).

    Called for a version beyond the head; an archived version arriving again is
    `replay_problems`.
    """
    problems: list[str] = []
    version, prev_hash = int(body["version"]), str(body["prev_hash"])
    expected_version = 1 if head is None else head.version + 1
    expected_prev = GENESIS if head is None else head.hash
    if version != expected_version:
        problems.append(f"version gap: expected version {expected_version}, got {version}")
    elif prev_hash == UNCHAINED:
        if head is None or not head.unchained:  # said once per refund, not for every event
            problems.append("no prev_hash: stored before the hash chain existed")
    elif prev_hash != expected_prev:
        problems.append(
            f"prev_hash mismatch at version {version}: expected {expected_prev}, got {prev_hash}"
        )
    return problems + hash_problems(body)


def hash_problems(body: dict[str, Any]) -> list[str]:
    """A hash that the body's content does not give: the content or the hash was altered."""
    recomputed = recomputed_hash(body)
    if recomputed == body["hash"]:
        return []
    return [
        f"hash mismatch at version {body['version']}: the content gives {recomputed}, "
        f"the event says {body['hash']}"
    ]


def replay_problems(head: Head, archived_hashes: list[str], body: dict[str, Any]) -> list[str]:
    """A version at or below the head arriving: a break if it differs from the archived one,
    or if none was archived (it arrives after a later version, once missing)."""
    problems = hash_problems(body)
    if not archived_hashes:
        problems.insert(0, f"version {body['version']} arrived after version {head.version}")
    elif any(found != body["hash"] for found in archived_hashes):
        problems.insert(
            0,
            f"version {body['version']} arrived again with hash {body['hash']}, "
            f"archived with {', '.join(sorted(set(archived_hashes)))}",
        )
    return problems
