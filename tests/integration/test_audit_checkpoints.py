"""Signed checkpoints, proofs against them, and the stored events checked against a kept
checkpoint, on each back end; the insider of issue 15 is caught."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID

import pytest

from ledger.app.service import RefundLedger
from ledger.audit.bundle import export_bundle
from ledger.audit.bundle_check import verify_bundle
from ledger.audit.checkpoints import (
    consistency,
    inclusion,
    parse_checkpoint,
    sign_checkpoint,
)
from ledger.audit.errors import IntegrityFailure, NoCheckpoint
from ledger.audit.leaves import LoggedEvent
from ledger.audit.log import AuditLog
from ledger.audit.log_check import verify_log
from ledger.audit.merkle import leaf_hash, verify_inclusion
from ledger.audit.note import Signer, open_note
from ledger.audit.receipt import InvalidReceipt, make_receipt, verify_receipt
from ledger.audit.rows import verify_store
from ledger.demo import run_demo
from ledger.domain.actor import Actor
from ledger.store.tracking import open_store

from .insider import replacing, rewrite_refund
from .tamper import Tamper

AGENT = Actor.parse("agent:alice")
NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
BACKENDS = ("sqlite", "postgres")  # the tampering needs a database another connection edits


@pytest.fixture(params=BACKENDS, ids=BACKENDS)
def database_url(request: pytest.FixtureRequest) -> str:
    return str(request.getfixturevalue(f"{request.param}_url"))


@pytest.fixture
def signer() -> Signer:
    return Signer.generate("refunds.test/log")


def _demo(make_app: Callable[..., RefundLedger], database_url: str) -> RefundLedger:
    run_demo(lambda clock: make_app(database_url, clock=clock), lambda line: None)
    return make_app(database_url)


def _with(app: RefundLedger, kind: str, text: bytes) -> tuple[UUID, int]:
    """A refund and version whose stored `kind` event holds `text`."""
    for row in app.recorder.select_notifications(None, 10**6):
        if row.topic.endswith(":" + kind) and text in row.state:
            return UUID(str(row.originator_id)), row.originator_version
    raise AssertionError(f"no {kind} holding {text!r}")


def test_a_checkpoint_is_a_signed_note_of_the_whole_tree(
    make_app: Callable[..., RefundLedger], database_url: str, signer: Signer
) -> None:
    app = _demo(make_app, database_url)
    log = AuditLog(app, open_store(app))
    with pytest.raises(NoCheckpoint):
        inclusion(log, next(app.refund_ids()))
    note = sign_checkpoint(log, signer, NOW)
    opened = open_note(note, [signer.verifier])
    checkpoint = parse_checkpoint(opened.text)
    assert checkpoint.origin == "refunds.test/log"
    assert checkpoint.size == len(app.recorder.select_notifications(None, 10**6))
    assert checkpoint.root == log.head().root


def test_every_event_of_a_refund_is_proven_in_the_checkpoint(
    make_app: Callable[..., RefundLedger], database_url: str, signer: Signer
) -> None:
    app = _demo(make_app, database_url)
    log = AuditLog(app, open_store(app))
    sign_checkpoint(log, signer, NOW)
    refund_id = next(app.refund_ids())
    proofs = inclusion(log, refund_id)
    rows = app.recorder.select_events(refund_id)
    assert [p.leaf.originator_version for p in proofs.proven] == [
        r.originator_version for r in rows
    ]
    for proof, row in zip(proofs.proven, rows, strict=True):
        data = LoggedEvent(str(row.originator_id), row.originator_version, row.topic, row.state)
        assert proof.leaf.leaf_hash == leaf_hash(data.data())
        assert verify_inclusion(
            proof.leaf.position, proofs.size, proof.leaf.leaf_hash, proof.proof, proofs.root
        )
    app.add_note(refund_id, AGENT, "a later note")
    log.integrate()
    later = inclusion(log, refund_id)
    assert [leaf.originator_version for leaf in later.pending] == [len(rows) + 1]


def test_a_later_checkpoint_is_proven_an_extension_of_an_earlier_one(
    make_app: Callable[..., RefundLedger], database_url: str, signer: Signer
) -> None:
    app = _demo(make_app, database_url)
    log = AuditLog(app, open_store(app))
    first = parse_checkpoint(sign_checkpoint(log, signer, NOW))
    app.add_note(next(app.refund_ids()), AGENT, "one more event")
    second = parse_checkpoint(sign_checkpoint(log, signer, NOW))
    assert second.size == first.size + 1
    proof = consistency(log, first.size, first.root)
    assert proof.consistent and proof.new_size == second.size
    forged = consistency(log, first.size, bytes(32))
    assert not forged.consistent


def test_the_log_refuses_to_sign_a_tree_that_does_not_extend_its_last_checkpoint(
    make_app: Callable[..., RefundLedger], database_url: str, signer: Signer
) -> None:
    app = _demo(make_app, database_url)
    log = AuditLog(app, open_store(app))
    sign_checkpoint(log, signer, NOW)
    tamper = Tamper(database_url)
    # the tree row is what grows: an insider who rewrote it to a tree of their own
    (frontier,) = tamper._execute("SELECT frontier FROM audit_log_tree")[0]
    tamper._execute("UPDATE audit_log_tree SET frontier = ?", bytes(len(bytes(frontier))))
    app.add_note(next(app.refund_ids()), AGENT, "one more event")
    with pytest.raises(IntegrityFailure, match="not an extension of the last checkpoint"):
        sign_checkpoint(log, signer, NOW)


def test_the_insider_who_rechains_an_edited_approval_is_caught_by_the_checkpoint(
    make_app: Callable[..., RefundLedger], database_url: str, signer: Signer
) -> None:
    app = _demo(make_app, database_url)
    log = AuditLog(app, open_store(app))
    checkpoint = parse_checkpoint(sign_checkpoint(log, signer, NOW))
    assert verify_log(log, checkpoint, lambda row: None).intact

    refund_id, version = _with(app, "Approved", b"finance:fay")
    tamper = Tamper(database_url)
    rewrite_refund(app, tamper, refund_id, replacing(version, "finance:fay", "finance:frank"))
    assert verify_store(app).intact  # the chains alone are fooled, as the issue found

    report = verify_log(log, checkpoint, lambda row: None)
    assert not report.intact
    position = next(
        p.leaf.position
        for p in inclusion(log, refund_id).proven
        if p.leaf.originator_version == version
    )
    assert report.problems[0] == (
        f"leaf {position}: Approved of {refund_id} version {version} was altered after it "
        "was logged"
    )


def test_a_deleted_history_event_is_named_by_the_checkpoint(
    make_app: Callable[..., RefundLedger], database_url: str, signer: Signer
) -> None:
    app = _demo(make_app, database_url)
    log = AuditLog(app, open_store(app))
    checkpoint = parse_checkpoint(sign_checkpoint(log, signer, NOW))
    rows = app.recorder.select_notifications(None, 10**6)
    history = next(r for r in rows if "History" in r.topic)
    Tamper(database_url).delete(history.originator_id, history.originator_version)
    report = verify_log(log, checkpoint, lambda row: None)
    assert not report.intact
    version = history.originator_version
    assert report.problems[0].endswith(
        f": the event of {history.originator_id} version {version} was removed from the events"
    )
    assert len(report.problems) == 1  # the events after it still line up with their leaves


def test_an_inserted_event_is_named_and_the_ones_after_it_still_compared(
    make_app: Callable[..., RefundLedger], database_url: str, signer: Signer
) -> None:
    app = _demo(make_app, database_url)
    log = AuditLog(app, open_store(app))
    checkpoint = parse_checkpoint(sign_checkpoint(log, signer, NOW))
    refund_id, version = _with(app, "Approved", b"finance:fay")
    tamper = Tamper(database_url)
    rewrite_refund(app, tamper, refund_id, replacing(version, "finance:fay", "finance:frank"))
    # another event put in the place (the notification id) of an earlier one
    victim = app.recorder.select_notifications(None, 10**6)[3]
    tamper.delete(victim.originator_id, victim.originator_version)
    tamper.insert_at(victim.id, victim.originator_id, 99, victim.topic, victim.state)
    problems = verify_log(log, checkpoint, lambda row: None).problems
    assert problems[0].endswith(
        f"the event of {victim.originator_id} version {victim.originator_version} was removed "
        "from the events"
    ), problems
    assert any(p.endswith(" is in no leaf: it was inserted") for p in problems), problems
    assert any(
        p.endswith(f"Approved of {refund_id} version {version} was altered after it was logged")
        for p in problems
    ), problems


def _receipt(
    make_app: Callable[..., RefundLedger], database_url: str, signer: Signer
) -> tuple[UUID, str]:
    app = _demo(make_app, database_url)
    log = AuditLog(app, open_store(app))
    sign_checkpoint(log, signer, NOW)
    refund_id, _ = _with(app, "PayoutSettled", b"PSP-")
    return refund_id, json.dumps(make_receipt(log, refund_id).as_json())


def test_a_receipt_is_checked_offline_with_the_verifier_key_alone(
    make_app: Callable[..., RefundLedger], database_url: str, signer: Signer
) -> None:
    refund_id, text = _receipt(make_app, database_url, signer)
    checked = verify_receipt(text, signer.verifier)
    assert checked.refund_id == str(refund_id)
    assert [e.originator_version for e in checked.events] == list(range(1, len(checked.events) + 1))
    assert "PayoutSettled" in checked.describe()
    document = json.loads(text)
    assert all(p.startswith("c2sp.org/tlog-proof@v1\nextra ") for p in document["proofs"])


def _bent_hash(proof: str) -> str:
    """The proof with the first bit of its first hash flipped."""
    lines = proof.split("\n")
    digest = bytearray(base64.b64decode(lines[3]))
    digest[0] ^= 0x80
    lines[3] = base64.b64encode(bytes(digest)).decode()
    return "\n".join(lines)


def _edited_receipts(text: str) -> list[tuple[str, str]]:
    document = json.loads(text)
    proofs = document["proofs"]
    header, extra, rest = proofs[-1].split("\n", 2)
    data = base64.b64decode(extra.removeprefix("extra "))
    evil = data.replace(b"PSP-", b"PSP-EVIL-", 1)
    edits = {
        "an edited event": [
            *proofs[:-1],
            f"{header}\nextra {base64.b64encode(evil).decode()}\n{rest}",
        ],
        "two events swapped": [proofs[1], proofs[0], *proofs[2:]],
        "an event left out": proofs[1:],
        "a proof hash changed": [_bent_hash(proofs[0]), *proofs[1:]],
    }
    return [(name, json.dumps({**document, "proofs": value})) for name, value in edits.items()]


def test_a_receipt_is_refused_after_any_edit(
    make_app: Callable[..., RefundLedger], database_url: str, signer: Signer
) -> None:
    _, text = _receipt(make_app, database_url, signer)
    for name, edited in _edited_receipts(text):
        with pytest.raises(IntegrityFailure):
            verify_receipt(edited, signer.verifier)
            raise AssertionError(name)
    with pytest.raises(IntegrityFailure, match="checkpoint"):
        verify_receipt(text, Signer.generate("refunds.test/log").verifier)
    document = json.loads(text)
    document["checkpoint"] = document["checkpoint"].replace("\n", "\n1", 1)
    with pytest.raises(IntegrityFailure):
        verify_receipt(json.dumps(document), signer.verifier)
    with pytest.raises(InvalidReceipt, match="not JSON"):
        verify_receipt("nothing", signer.verifier)


def test_a_bundle_carries_the_checkpoint_and_the_key_catches_a_rechained_export(
    make_app: Callable[..., RefundLedger], database_url: str, signer: Signer, tmp_path: Path
) -> None:
    app = _demo(make_app, database_url)
    log = AuditLog(app, open_store(app))
    sign_checkpoint(log, signer, NOW)
    clean = tmp_path / "clean.jsonl"
    with clean.open("wb") as out:
        export_bundle(app, [], out, app.policy, log)
    assert verify_bundle(clean, signer.verifier).intact
    kinds = [json.loads(line)["kind"] for line in clean.read_text().splitlines()]
    assert kinds.count("log_checkpoint") == 1 and kinds.count("proof") == kinds.count("event")

    refund_id, version = _with(app, "PayoutSettled", b"PSP-")
    rewrite_refund(app, Tamper(database_url), refund_id, replacing(version, "PSP-", "PSP-EVIL-"))
    forged = tmp_path / "forged.jsonl"
    with forged.open("wb") as out:
        export_bundle(app, [], out, app.policy, log)
    assert verify_bundle(forged).intact  # the chains and the digest alone are fooled
    with pytest.raises(IntegrityFailure, match=f"refund {refund_id} version {version} is not in"):
        verify_bundle(forged, signer.verifier)
    with pytest.raises(IntegrityFailure, match="the bundle's checkpoint: no known key"):
        verify_bundle(clean, Signer.generate("refunds.test/log").verifier)


def test_an_altered_tile_is_named_and_its_proofs_refused(
    make_app: Callable[..., RefundLedger], database_url: str, signer: Signer
) -> None:
    app = _demo(make_app, database_url)
    log = AuditLog(app, open_store(app))
    checkpoint = parse_checkpoint(sign_checkpoint(log, signer, NOW))
    refund_id = next(app.refund_ids())
    first = inclusion(log, refund_id).proven[0].leaf.position
    Tamper(database_url)._execute(
        "UPDATE audit_log_tiles SET hashes = ? WHERE tier = 0 AND idx = ?", bytes(960), first // 16
    )
    report = verify_log(log, checkpoint, lambda row: None)
    assert report.problems == [f"the log's tile of tier 0 index {first // 16} was altered"]
    with pytest.raises(IntegrityFailure):
        inclusion(log, refund_id)
