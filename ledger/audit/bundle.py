"""Audit bundles: JSON Lines that an auditor verifies offline, without the database.

Line 1 is the header; then every event in its stored form with its hashes, the checkpoint
entries, the audit log's latest signed checkpoint and each event's inclusion proof in it
(once a checkpoint was signed), the policy versions the decisions used, and an end line with
the counts and the SHA-256 of every line before it. `verify_bundle` re-runs the chain checks
on the stored forms, so an edited event is named by refund and version; any other edit breaks
the digest. Given the log's verifier key, it also checks every event against the signed
tree: then the digest, which whoever exports can recompute, is no longer all there is.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, BinaryIO
from uuid import UUID

from eventsourcing.persistence import (
    DatetimeAsISO,
    DecimalAsStr,
    JSONTranscoder,
    Mapper,
    StoredEvent,
    UUIDAsHex,
)

from ledger.audit.chains import ChainVerifier, Checkpoint
from ledger.audit.errors import IntegrityFailure
from ledger.audit.log import AuditLog
from ledger.audit.rows import checkpoint_of, refund_rows, rows_of
from ledger.domain.errors import LedgerError
from ledger.domain.policy import Policy
from ledger.store.transcodings import register_payloads

FORMAT = "ledger-audit-bundle"
FORMAT_VERSION = 1


@dataclass(frozen=True)
class BundleSummary:
    refunds: int
    events: int
    policy_versions: tuple[str, ...]


def offline_mapper() -> Mapper[UUID]:
    """The application's mapper, without an application: same transcodings, no database."""
    transcoder = JSONTranscoder()
    for transcoding in (UUIDAsHex(), DecimalAsStr(), DatetimeAsISO()):
        transcoder.register(transcoding)
    register_payloads(transcoder)
    return Mapper(transcoder=transcoder)


class _Writer:
    def __init__(self, file: BinaryIO) -> None:
        self.file = file
        self.digest = hashlib.sha256()

    def line(self, data: dict[str, Any]) -> None:
        raw = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"
        self.digest.update(raw)
        self.file.write(raw)


def export_bundle(
    app: Any,
    refund_ids: Sequence[UUID],
    out: BinaryIO,
    policy: Policy,
    log: AuditLog | None = None,
) -> BundleSummary:
    """Write the bundle of the given refunds (all when none) to `out`; refuse a broken ledger
    (exit 3). With the audit log, the latest signed checkpoint and each event's inclusion
    proof in it go in too. The caller owns the file: on an error, it discards what was
    written."""
    checkpoint = checkpoint_of(app)
    if refund_ids:
        wanted = {str(i) for i in refund_ids}
        checkpoint = {k: v for k, v in checkpoint.items() if k in wanted}
    rows: Iterable[StoredEvent] = rows_of(app, refund_ids) if refund_ids else refund_rows(app)
    return _write(_Writer(out), app, rows, checkpoint, refund_ids, policy, log)


def _write(
    writer: _Writer,
    app: Any,
    rows: Iterable[StoredEvent],
    checkpoint: Checkpoint,
    refund_ids: Sequence[UUID],
    policy: Policy,
    log: AuditLog | None = None,
) -> BundleSummary:
    writer.line(
        {
            "kind": "header",
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "exported_at": datetime.now(UTC).isoformat(),
            "scope": [str(i) for i in refund_ids] or "all",
        }
    )
    verifier = ChainVerifier(app.mapper.to_domain_event)
    versions: set[str] = set()
    exported: set[str] = set()
    for row in rows:
        own_hash = verifier.feed(row)
        if own_hash is None:
            continue  # reported below, and nothing is kept
        event = app.mapper.to_domain_event(row)
        versions.add(getattr(event.payload, "policy_version", "") or "")
        writer.line(_event_line(row, event.prev_hash, own_hash))
        exported.add(str(row.originator_id))
    report = verifier.finish(checkpoint)
    if not report.intact:
        raise IntegrityFailure(f"integrity failure, not exported: {report.breaks[0].describe()}")
    if log is not None:
        _write_proofs(writer, log, sorted(exported))
    for refund_id, (version, digest) in sorted(checkpoint.items()):
        writer.line(
            {
                "kind": "checkpoint",
                "refund_id": refund_id,
                "version": version,
                "state_sha256": digest,
            }
        )
    used = tuple(sorted(versions - {""}))
    for policy_version in used:
        content = policy.model_dump(mode="json") if policy_version == policy.version else None
        writer.line({"kind": "policy", "version": policy_version, "policy": content})
    end = {"kind": "end", "refunds": report.refunds, "events": report.events}
    writer.line({**end, "policy_versions": list(used), "sha256": writer.digest.hexdigest()})
    return BundleSummary(report.refunds, report.events, used)


def _write_proofs(writer: _Writer, log: AuditLog, refund_ids: Sequence[str]) -> None:
    """The latest signed checkpoint and each exported event's inclusion proof in it (none
    before the first checkpoint; an event integrated after it has no proof line)."""
    from ledger.audit.checkpoints import b64, inclusion

    with log.store.reading() as db:
        note = log.tables.latest_checkpoint(db)
    if note is None:
        return
    writer.line({"kind": "log_checkpoint", "note": note})
    for refund_id in refund_ids:
        proofs = inclusion(log, UUID(refund_id))
        if proofs.checkpoint != note:  # a checkpoint signed meanwhile: stay with the first
            raise LedgerError("a checkpoint was signed during the export: export again")
        for item in proofs.proven:
            writer.line(
                {
                    "kind": "proof",
                    "refund_id": refund_id,
                    "version": item.leaf.originator_version,
                    "index": item.leaf.position,
                    "proof": [b64(p) for p in item.proof],
                }
            )


def _event_line(row: StoredEvent, prev_hash: str, own_hash: str) -> dict[str, Any]:
    return {
        "kind": "event",
        "refund_id": str(row.originator_id),
        "version": row.originator_version,
        "topic": row.topic,
        "state": row.state.decode(),
        "prev_hash": prev_hash,
        "hash": own_hash,
    }
