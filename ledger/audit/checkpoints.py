"""Signed checkpoints of the audit log, and the proofs against them.

`sign_checkpoint` integrates what is stored, refuses to sign a tree that is not an
append-only extension of the last checkpoint it signed (C2SP tlog-checkpoint: a log never
signs two inconsistent checkpoints), signs the head with the key it is given (the key is
never stored) and keeps the note. Proofs are made against the latest kept checkpoint.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from ledger.audit.errors import IntegrityFailure, NoCheckpoint
from ledger.audit.log import AuditLog
from ledger.audit.merkle import (
    inclusion_proof,
    range_hash,
    verify_consistency,
    verify_inclusion,
)
from ledger.audit.note import Checkpoint, NoteError, Signer, Verifier, open_note, sign
from ledger.domain.errors import LedgerError
from ledger.store.merkle_log import LeafRow


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def parse_checkpoint(note: str) -> Checkpoint:
    """The checkpoint of a signed note's text (signatures are not checked here)."""
    split = note.rfind("\n\n")
    return Checkpoint.parse(note[: split + 1] if split >= 0 else note)


def sign_checkpoint(log: AuditLog, signer: Signer, now: datetime) -> str:
    """Integrate, then sign and keep the checkpoint of the whole tree; its note."""
    log.integrate()
    head = log.head()
    with log.store.writing() as db:
        last = log.tables.latest_checkpoint(db)
        if last is not None:
            _extends(log, db, parse_checkpoint(last), head.size, head.root)
        note = sign(Checkpoint(signer.name, head.size, head.root).text(), signer).signed()
        log.tables.add_checkpoint(db, head.size, head.root, note, now.isoformat())
    return note


def _extends(log: AuditLog, db: Any, old: Checkpoint, size: int, root: bytes) -> None:
    if old.size > size:
        raise IntegrityFailure(
            f"integrity failure: the log has {size} leaves, fewer than the {old.size} of the "
            "last checkpoint; nothing was signed"
        )
    if old.size and not verify_consistency(
        old.size, size, old.root, root, log.consistency(db, old.size, size)
    ):
        raise IntegrityFailure(
            f"integrity failure: the log is not an extension of the last checkpoint "
            f"(size {old.size}); nothing was signed"
        )


def latest(log: AuditLog) -> str:
    with log.store.reading() as db:
        note = log.tables.latest_checkpoint(db)
    if note is None:
        raise NoCheckpoint()
    return note


@dataclass(frozen=True)
class EventProof:
    leaf: LeafRow
    proof: list[bytes]

    def as_json(self) -> dict[str, Any]:
        return {
            "version": self.leaf.originator_version,
            "position": self.leaf.position,
            "notification_id": self.leaf.notification_id,
            "leaf_hash": b64(self.leaf.leaf_hash),
            "proof": [b64(p) for p in self.proof],
        }


@dataclass(frozen=True)
class InclusionProofs:
    """The inclusion proof of each of one aggregate's events in the latest checkpoint."""

    checkpoint: str
    size: int
    root: bytes
    proven: list[EventProof]
    pending: list[LeafRow]  # integrated after the checkpoint: in the next one

    def as_json(self, aggregate: str) -> dict[str, Any]:
        return {
            "refund_id": aggregate,
            "tree_size": self.size,
            "root_hash": b64(self.root),
            "checkpoint": self.checkpoint,
            "events": [item.as_json() for item in self.proven],
            "not_yet_checkpointed": [leaf.originator_version for leaf in self.pending],
        }


def inclusion(log: AuditLog, aggregate: UUID) -> InclusionProofs:
    """Each of the aggregate's integrated events with its proof; every proof is checked
    against the checkpoint before it is given (a failing one is an integrity failure)."""
    with log.store.reading() as db:
        note = log.tables.latest_checkpoint(db)
        if note is None:
            raise NoCheckpoint()
        checkpoint = parse_checkpoint(note)
        leaves = log.tables.leaves_of(db, str(aggregate))
        proven, pending = [], []
        size = checkpoint.size
        nodes = log.nodes(db, size, [leaf.position for leaf in leaves if leaf.position < size])
        for leaf in leaves:
            if leaf.position >= size:
                pending.append(leaf)
                continue
            proof = inclusion_proof(nodes, leaf.position, size)
            if not verify_inclusion(
                leaf.position, checkpoint.size, leaf.leaf_hash, proof, checkpoint.root
            ):
                raise IntegrityFailure(
                    f"integrity failure: leaf {leaf.position} (version "
                    f"{leaf.originator_version}) is not in the signed tree: the stored log "
                    "was altered"
                )
            proven.append(EventProof(leaf, proof))
    return InclusionProofs(note, checkpoint.size, checkpoint.root, proven, pending)


@dataclass(frozen=True)
class ConsistencyProof:
    old_size: int
    old_root: bytes
    checkpoint: str
    new_size: int
    new_root: bytes
    proof: list[bytes]

    @property
    def consistent(self) -> bool:
        if self.old_size == 0:
            return True  # every tree extends the empty one
        return verify_consistency(
            self.old_size, self.new_size, self.old_root, self.new_root, self.proof
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "old_size": self.old_size,
            "old_root_hash": b64(self.old_root),
            "new_size": self.new_size,
            "new_root_hash": b64(self.new_root),
            "proof": [b64(p) for p in self.proof],
            "consistent": self.consistent,
            "checkpoint": self.checkpoint,
        }


class InvalidOldSize(LedgerError):
    code = "invalid-old-size"


def consistency(log: AuditLog, old_size: int, old_root: bytes | None = None) -> ConsistencyProof:
    """The proof that the latest checkpoint extends the tree of `old_size` (whose root is
    `old_root` when the caller kept one; else the log's own, as integrated)."""
    with log.store.reading() as db:
        note = log.tables.latest_checkpoint(db)
        if note is None:
            raise NoCheckpoint()
        new = parse_checkpoint(note)
        if not 0 <= old_size <= new.size:
            raise InvalidOldSize.about(
                "old_size",
                f"{{field}} must be between 0 and the latest checkpoint's size {new.size}",
            )
        proof = log.consistency(db, old_size, new.size)
        if old_root is None:
            old_root = range_hash(log.nodes(db, old_size, [old_size - 1]), 0, old_size)
    return ConsistencyProof(old_size, old_root, note, new.size, new.root, proof)


def add_cosignature(log: AuditLog, note: str, witness: Verifier) -> int:
    """Merge a witness's cosignature of a kept checkpoint into it; the checkpoint's size.
    The note must be one the log signed (its text kept) and carry the witness's valid
    cosignature; the log's own signature is kept as it was."""
    opened = open_note(note, [witness])  # NoteError unless the witness's cosignature holds
    head = parse_checkpoint(opened.text)
    with log.store.writing() as db:
        kept = log.tables.checkpoint_of_size(db, head.size)
        if kept is None or not kept.startswith(opened.text + "\n"):
            raise NoteError(f"the log kept no checkpoint of size {head.size} with that text")
        lines = kept[len(opened.text) + 1 :].splitlines(keepends=True)
        added = [s.line() for s in opened.signatures if s.line() not in lines]
        log.tables.replace_note(db, head.size, kept + "".join(added))
    return head.size
