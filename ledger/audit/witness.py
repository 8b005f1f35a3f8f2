"""A witness of the audit log: a second party that keeps the last checkpoint it accepted,
accepts a new one only as an append-only extension of it, and cosigns what it accepted
(C2SP tlog-cosignature, `cosignature/v1`).

A checkpoint that is not signed by the log's key is refused (nothing changes). One that
shrinks the log, or that no consistency proof joins to the kept one (a fork: the log shows
a history other than the one it showed before), is not cosigned: it is an alert,
`checkpoint_inconsistent`, and the kept checkpoint stays, as evidence, until an operator
looks. The first checkpoint is trusted on first use.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from ledger.audit.checkpoints import b64, parse_checkpoint
from ledger.audit.merkle import verify_consistency
from ledger.audit.note import Checkpoint, NoteError, Signer, Verifier, open_note, sign
from ledger.domain.errors import InvalidInput

ALERT = "checkpoint_inconsistent"
STATE_NAME = "witness-state.json"


class InvalidWitnessState(InvalidInput):
    code = "invalid-witness-state"


@dataclass(frozen=True)
class Outcome:
    """What one look at the log found: a cosigned checkpoint, or an inconsistency."""

    checkpoint: Checkpoint
    cosigned: str | None = None  # the note with this witness's cosignature added
    inconsistent: str | None = None  # why it was not cosigned (the alert's detail)


class Witness:
    def __init__(self, signer: Signer, log_key: Verifier, state_dir: Path) -> None:
        self.signer = signer
        self.log_key = log_key
        self.state = state_dir / STATE_NAME

    def kept(self) -> Checkpoint | None:
        """The last checkpoint this witness accepted."""
        try:
            text = self.state.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except OSError as error:
            raise InvalidWitnessState(f"{self.state} cannot be read: {error.strerror}") from None
        try:
            return parse_checkpoint(json.loads(text)["checkpoint"])
        except (ValueError, KeyError, TypeError, NoteError):
            raise InvalidWitnessState(f"{self.state} is not a witness's state") from None

    def observe(self, note: str, proof_from: Callable[[int], list[bytes]], now: int) -> Outcome:
        """Judge the log's latest checkpoint `note`; `proof_from(size)` fetches the log's
        consistency proof from the kept size to this one."""
        opened = open_note(note, [self.log_key])  # NoteError: not the log's, or edited
        new = parse_checkpoint(opened.text)
        if new.origin != self.log_key.name:
            raise NoteError(f"the checkpoint is of {new.origin!r}, not of {self.log_key.name!r}")
        old = self.kept()
        if old is not None:
            problem = _inconsistency(old, new, proof_from)
            if problem is not None:
                return Outcome(new, inconsistent=problem)
        cosigned = sign(
            opened.text, self.signer, (*opened.signatures, *opened.unverified), moment=now
        ).signed()
        self._keep(cosigned)
        return Outcome(new, cosigned=cosigned)

    @property
    def cosigned_dir(self) -> Path:
        """Where each cosigned checkpoint is kept, by size (for the log to add to receipts)."""
        return self.state.parent / "cosigned"

    def _keep(self, note: str) -> None:
        """Keep the cosigned note, then replace the state file in one rename: a crash leaves
        the old state or the new one."""
        self.cosigned_dir.mkdir(exist_ok=True)
        (self.cosigned_dir / str(parse_checkpoint(note).size)).write_text(note, encoding="utf-8")
        temporary = self.state.with_suffix(".tmp")
        temporary.write_text(json.dumps({"checkpoint": note}) + "\n", encoding="utf-8")
        os.replace(temporary, self.state)


def _inconsistency(
    old: Checkpoint, new: Checkpoint, proof_from: Callable[[int], list[bytes]]
) -> str | None:
    said = f"the log said size {old.size} root {b64(old.root)}"
    if new.size < old.size:
        return f"the log shrank: {said}, now size {new.size}"
    if new.size == old.size:
        return None if new.root == old.root else f"the log forked: {said}, now {b64(new.root)}"
    if old.size == 0:
        return None
    if not verify_consistency(old.size, new.size, old.root, new.root, proof_from(old.size)):
        return f"the log forked: {said}; no consistency proof joins size {new.size} to it"
    return None


def look(witness: Witness, log: LogSource, now: int) -> list[Outcome]:
    """One look at the log: each checkpoint it shows after the kept one, judged in turn
    (stopping at the first inconsistency: what follows it cannot be judged against it)."""
    kept = witness.kept()
    found = []
    for note, proof in log.notes_after(None if kept is None else kept.size):
        outcome = witness.observe(note, proof, now)
        found.append(outcome)
        if outcome.inconsistent is not None:
            break
    return found


class LogSource(Protocol):
    def notes_after(
        self, kept: int | None
    ) -> Iterator[tuple[str, Callable[[int], list[bytes]]]]: ...
