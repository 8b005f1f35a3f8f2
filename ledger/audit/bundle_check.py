"""`audit verify-bundle`: check a bundle offline, with nothing but the file."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from pathlib import Path
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent

from ledger.audit.bundle import FORMAT, offline_mapper
from ledger.audit.chains import Break, ChainVerifier, Report
from ledger.audit.checkpoints import parse_checkpoint
from ledger.audit.errors import IntegrityFailure, InvalidBundle
from ledger.audit.leaves import LoggedEvent
from ledger.audit.merkle import leaf_hash, verify_inclusion
from ledger.audit.note import NoteError, Verifier, open_note


def verify_bundle(path: Path, key: Verifier | None = None) -> Report:
    """The chain report of a bundle; IntegrityFailure for edits no chain can name. With the
    log's verifier `key`, every event must also be proven in the bundle's signed checkpoint."""
    lines = _read_lines(path)
    notes: list[str] = []
    proofs: dict[tuple[str, int], dict[str, Any]] = {}
    digest = hashlib.sha256(lines[0])
    verifier = ChainVerifier(offline_mapper().to_domain_event)
    checkpoint: dict[str, tuple[int, str]] = {}
    recorded: list[tuple[int, dict[str, Any], str | None]] = []
    end: dict[str, Any] | None = None
    for number, raw in enumerate(lines[1:], start=2):
        if end is not None:
            raise _edited(number, "lines after the end line")
        data = _parse(raw, number)
        kind = data.get("kind")
        if kind == "end":
            end = data
            continue
        digest.update(raw)
        if kind == "event":
            recorded.append((number, data, verifier.feed(_stored(data, number))))
        elif kind == "checkpoint":
            checkpoint[str(data.get("refund_id"))] = _head(data, number)
        elif kind == "log_checkpoint":
            notes.append(str(data.get("note")))
        elif kind == "proof":
            proofs[(str(data.get("refund_id")), _version(data, number))] = data
        elif kind != "policy":
            raise _edited(number, f"unknown kind {kind!r}")
    report = verifier.finish(checkpoint)
    _check_recorded_hashes(report, recorded)
    _check_end(end, digest.hexdigest(), report, len(lines) + 1)
    if key is not None and report.intact:
        _check_proofs(key, notes, proofs, [data for _, data, _ in recorded])
    return report


def _version(data: dict[str, Any], number: int) -> int:
    try:
        return int(data["version"])
    except (KeyError, ValueError, TypeError):
        raise _edited(number, "a proof line lacks its version") from None


def _check_proofs(
    key: Verifier,
    notes: list[str],
    proofs: dict[tuple[str, int], dict[str, Any]],
    events: list[dict[str, Any]],
) -> None:
    """Every event of the bundle in the tree the log's key signed."""
    if len(notes) != 1:
        raise IntegrityFailure(
            "integrity failure: the bundle holds no signed checkpoint of the audit log "
            "(sign one with `ledger audit checkpoint`, then export)"
            if not notes
            else "integrity failure: the bundle holds more than one log checkpoint"
        )
    try:
        head = parse_checkpoint(open_note(notes[0], [key]).text)
    except NoteError as error:
        raise IntegrityFailure(
            f"integrity failure: the bundle's checkpoint: {error.message}"
        ) from None
    if head.origin != key.name:
        raise IntegrityFailure(f"integrity failure: the bundle's checkpoint is of {head.origin!r}")
    for data in events:
        refund_id, version = str(data["refund_id"]), int(data["version"])
        where = f"refund {refund_id} version {version}"
        proof = proofs.get((refund_id, version))
        if proof is None:
            raise IntegrityFailure(
                f"integrity failure: {where} has no proof in the bundle's checkpoint (it was "
                "stored after it, or its proof was removed)"
            )
        leaf = LoggedEvent(refund_id, version, str(data["topic"]), str(data["state"]).encode())
        try:
            index, path = (
                int(proof["index"]),
                [base64.b64decode(p, validate=True) for p in proof["proof"]],
            )
        except (KeyError, ValueError, TypeError, binascii.Error):
            raise IntegrityFailure(
                f"integrity failure: the proof of {where} is malformed"
            ) from None
        if not verify_inclusion(index, head.size, leaf_hash(leaf.data()), path, head.root):
            raise IntegrityFailure(f"integrity failure: {where} is not in the signed tree")


def _read_lines(path: Path) -> list[bytes]:
    try:
        content = path.read_bytes()
    except OSError as error:
        raise InvalidBundle(str(path), error.strerror or type(error).__name__) from None
    lines = [line + b"\n" for line in content.split(b"\n")]
    if lines[-1] == b"\n":
        lines.pop()
    try:
        header = json.loads(lines[0]) if lines else None
    except ValueError:
        header = None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise InvalidBundle(str(path), "the first line is not a bundle header")
    return lines


def _parse(raw: bytes, number: int) -> dict[str, Any]:
    try:
        data = json.loads(raw)
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise _edited(number, "not a JSON object")
    return data


def _stored(data: dict[str, Any], number: int) -> StoredEvent:
    try:
        return StoredEvent(
            originator_id=UUID(data["refund_id"]),
            originator_version=int(data["version"]),
            topic=str(data["topic"]),
            state=str(data["state"]).encode(),
        )
    except (KeyError, ValueError, TypeError, AttributeError):
        raise _edited(
            number, "an event line lacks its refund id, version, topic or state"
        ) from None


def _head(data: dict[str, Any], number: int) -> tuple[int, str]:
    try:
        return int(data["version"]), str(data["state_sha256"])
    except (KeyError, ValueError, TypeError):
        raise _edited(number, "a checkpoint line lacks its version or digest") from None


def _check_recorded_hashes(
    report: Report, recorded: list[tuple[int, dict[str, Any], str | None]]
) -> None:
    """The hashes written next to each event must be the ones the chain gives."""
    broken = {b.refund_id for b in report.breaks}
    for _, data, own_hash in recorded:
        refund_id = str(data.get("refund_id"))
        if own_hash is not None and refund_id not in broken and data.get("hash") != own_hash:
            report.breaks.append(
                Break(refund_id, int(data["version"]), "hash in the bundle edited")
            )
            broken.add(refund_id)


def _check_end(end: dict[str, Any] | None, digest: str, report: Report, last: int) -> None:
    if report.breaks:
        return  # the chain names the place; the caller reports it
    if end is None:
        raise _edited(last, "the end line is missing (the bundle was cut short)")
    if end.get("sha256") != digest:
        raise IntegrityFailure("integrity failure: the bundle was edited (its digest differs)")
    if (end.get("refunds"), end.get("events")) != (report.refunds, report.events):
        raise IntegrityFailure("integrity failure: the bundle's counts differ from its content")


def _edited(number: int, why: str) -> IntegrityFailure:
    return IntegrityFailure(f"integrity failure: bundle line {number}: {why}")
