"""Refund receipts: one file that proves, offline, what the log holds about a refund.

A receipt is JSON: the refund's id, the signed checkpoint, and one C2SP tlog-proof per event
(`c2sp.org/tlog-proof@v1`): its `extra` line is the event's stored form (the leaf's data,
ledger/audit/leaves.py), then its index in the tree, its inclusion proof, a blank line and the
checkpoint verbatim. Checking one needs only the log's verifier key: open the checkpoint
with it; for each proof hash SHA-256(0x00 || extra) and walk the proof up to the signed root
(RFC 9162 2.1.3.2); the events must be the refund's versions 1, 2, ... in order.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from ledger.audit.checkpoints import inclusion, parse_checkpoint
from ledger.audit.errors import IntegrityFailure
from ledger.audit.leaves import LoggedEvent, parse
from ledger.audit.log import AuditLog
from ledger.audit.merkle import leaf_hash, verify_inclusion
from ledger.audit.note import NoteError, Verifier, open_note
from ledger.domain.errors import InvalidInput, RefundNotFound

FORMAT = "refund-ledger-receipt/v1"
PROOF_HEADER = "c2sp.org/tlog-proof@v1"


class InvalidReceipt(InvalidInput):
    code = "invalid-receipt"


@dataclass(frozen=True)
class Receipt:
    refund_id: str
    checkpoint: str
    proofs: list[str]
    pending: int  # the refund's events after the checkpoint (not in this receipt)

    def as_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "refund_id": self.refund_id,
            "checkpoint": self.checkpoint,
            "proofs": self.proofs,
        }


def tlog_proof(data: bytes, index: int, proof: Sequence[bytes], checkpoint: str) -> str:
    lines = [PROOF_HEADER, f"extra {base64.b64encode(data).decode()}", f"index {index}"]
    lines += [base64.b64encode(p).decode() for p in proof]
    return "\n".join(lines) + "\n\n" + checkpoint


def make_receipt(log: AuditLog, refund_id: UUID) -> Receipt:
    """The receipt of the refund's events in the latest checkpoint."""
    rows = {row.originator_version: row for row in log.app.recorder.select_events(refund_id)}
    if not rows:
        raise RefundNotFound(refund_id)
    proofs = inclusion(log, refund_id)
    made = []
    for item in proofs.proven:
        row = rows.get(item.leaf.originator_version)
        data = b"" if row is None else _data(row)
        if row is None or leaf_hash(data) != item.leaf.leaf_hash:
            raise IntegrityFailure(
                f"integrity failure: version {item.leaf.originator_version} of refund "
                f"{refund_id} is not the event that was logged"
            )
        made.append(tlog_proof(data, item.leaf.position, item.proof, proofs.checkpoint))
    return Receipt(str(refund_id), proofs.checkpoint, made, len(proofs.pending))


def _data(row: Any) -> bytes:
    event = LoggedEvent(str(row.originator_id), row.originator_version, row.topic, row.state)
    return event.data()


@dataclass(frozen=True)
class CheckedReceipt:
    refund_id: str
    events: list[LoggedEvent]
    origin: str
    size: int
    cosigners: list[str]

    def describe(self) -> str:
        kinds = ", ".join(e.topic.rpartition(":")[2] for e in self.events)
        witnessed = f", cosigned by {', '.join(self.cosigners)}" if self.cosigners else ""
        return (
            f"valid: refund {self.refund_id}, {len(self.events)} events ({kinds}) in the log "
            f"{self.origin} at size {self.size}{witnessed}"
        )


def verify_receipt(text: str, key: Verifier, witnesses: Sequence[Verifier] = ()) -> CheckedReceipt:
    """Check a receipt offline with the log's verifier key (and the witnesses' keys);
    IntegrityFailure naming the first thing that does not hold, InvalidReceipt when the file
    is not a receipt at all."""
    document = _document(text)
    refund_id, checkpoint = document["refund_id"], document["checkpoint"]
    try:
        opened = open_note(checkpoint, [key, *witnesses])
    except NoteError as error:
        raise IntegrityFailure(f"integrity failure: the checkpoint: {error.message}") from None
    signers = {s.name for s in opened.signatures}
    if key.name not in signers:
        raise IntegrityFailure("integrity failure: the checkpoint is not signed by the log's key")
    head = parse_checkpoint(opened.text)
    if head.origin != key.name:
        raise IntegrityFailure(f"integrity failure: the checkpoint is of {head.origin!r}")
    events = []
    for number, proof in enumerate(document["proofs"], start=1):
        data, index, path, carried = _proof(proof)
        if carried != checkpoint:
            raise IntegrityFailure(f"integrity failure: proof {number} carries another checkpoint")
        try:
            event = parse(data)
        except ValueError as error:
            raise IntegrityFailure(f"integrity failure: proof {number}: {error}") from None
        if event.originator_id != refund_id or event.originator_version != number:
            raise IntegrityFailure(
                f"integrity failure: proof {number} is of {event.names()}, not version "
                f"{number} of refund {refund_id}"
            )
        if not verify_inclusion(index, head.size, leaf_hash(data), path, head.root):
            raise IntegrityFailure(
                f"integrity failure: {event.names()} is not in the signed tree (leaf {index})"
            )
        events.append(event)
    if not events:
        raise IntegrityFailure("integrity failure: the receipt proves no event")
    cosigners = sorted(signers - {key.name})
    return CheckedReceipt(refund_id, events, head.origin, head.size, cosigners)


def _document(text: str) -> dict[str, Any]:
    try:
        document = json.loads(text)
    except ValueError:
        raise InvalidReceipt("the file is not a receipt (not JSON)") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise InvalidReceipt(f"the file is not a receipt (no format {FORMAT!r})")
    proofs, refund_id, checkpoint = (
        document.get("proofs"),
        document.get("refund_id"),
        document.get("checkpoint"),
    )
    if not isinstance(proofs, list) or not all(isinstance(p, str) for p in proofs):
        raise InvalidReceipt("the receipt's proofs are not a list of texts")
    if not isinstance(refund_id, str) or not isinstance(checkpoint, str):
        raise InvalidReceipt("the receipt names no refund or carries no checkpoint")
    return document


def _proof(text: str) -> tuple[bytes, int, list[bytes], str]:
    """A tlog-proof's extra data, index, proof hashes and checkpoint."""
    head, sep, checkpoint = text.partition("\n\n")
    lines = head.split("\n")
    if not sep or len(lines) < 3 or lines[0] != PROOF_HEADER:
        raise IntegrityFailure("integrity failure: a proof is not a c2sp.org/tlog-proof@v1")
    if not lines[1].startswith("extra ") or not lines[2].startswith("index "):
        raise IntegrityFailure("integrity failure: a proof lacks its event or its index")
    index = lines[2][len("index ") :]
    if not index.isdigit():
        raise IntegrityFailure("integrity failure: a proof's index is not a number")
    try:
        data = base64.b64decode(lines[1][len("extra ") :], validate=True)
        path = [base64.b64decode(line, validate=True) for line in lines[3:]]
    except binascii.Error:
        raise IntegrityFailure("integrity failure: a proof holds text that is not base64") from None
    return data, int(index), path, checkpoint
