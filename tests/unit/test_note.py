"""Signed notes, keys, checkpoints and cosignatures, against the published examples: Go's
golang.org/x/mod/sumdb/note tests (the PeterNeumann key and note) and the C2SP signed-note
specification's example (example.com/foo)."""

from __future__ import annotations

import base64
import stat
from pathlib import Path

import pytest

from ledger.audit.keys import InvalidKeyFile, load_signer, load_verifier, write_keys
from ledger.audit.note import (
    COSIGNATURE_V1,
    ED25519,
    Checkpoint,
    NoteError,
    Signer,
    Verifier,
    cosigned_message,
    open_note,
    sign,
)

GO_SIGNER = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_VERIFIER = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
GO_NOTE = (
    GO_TEXT + "\n\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2"
    "pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
)
C2SP_VERIFIER = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"
C2SP_NOTE = (
    "This is an example message.\n\n\u2014 example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6Tf"
    "Xppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n"
)


def test_the_go_signer_key_gives_the_go_verifier_key() -> None:
    signer = Signer.parse(GO_SIGNER)
    assert signer.text() == GO_SIGNER
    assert signer.verifier.text() == GO_VERIFIER
    assert Verifier.parse(GO_VERIFIER) == signer.verifier


def test_signing_the_go_text_writes_the_go_note_byte_for_byte() -> None:
    assert sign(GO_TEXT, Signer.parse(GO_SIGNER)).signed() == GO_NOTE


def test_the_published_notes_open_with_their_keys() -> None:
    go = open_note(GO_NOTE, [Verifier.parse(GO_VERIFIER)])
    assert go.text == GO_TEXT and [s.name for s in go.signatures] == ["PeterNeumann"]
    c2sp = open_note(C2SP_NOTE, [Verifier.parse(C2SP_VERIFIER)])
    assert c2sp.text == "This is an example message.\n"


def test_an_edited_note_or_signature_is_refused() -> None:
    known = [Verifier.parse(GO_VERIFIER)]
    with pytest.raises(NoteError, match="signature of PeterNeumann does not verify"):
        open_note(GO_NOTE.replace("cryptography", "Cryptography"), known)
    with pytest.raises(NoteError, match="does not verify"):
        open_note(GO_NOTE.replace("yBwJnAM=", "yBwJnAQ="), known)
    with pytest.raises(NoteError, match="no known key"):
        open_note(GO_NOTE, [Verifier.parse(C2SP_VERIFIER)])  # only an unknown key signed it
    with pytest.raises(NoteError, match="blank line"):
        open_note(GO_TEXT, known)
    with pytest.raises(NoteError, match="control characters"):
        open_note(GO_NOTE.replace("problem,", "problem,\r"), known)


def test_an_unknown_signature_is_kept_unverified_and_a_known_one_replaced() -> None:
    ours = Signer.parse(GO_SIGNER)
    other = Signer.generate("witness.example/w1", COSIGNATURE_V1)
    cosigned = sign(GO_TEXT, other, sign(GO_TEXT, ours).signatures, moment=1_700_000_000)
    opened = open_note(cosigned.signed(), [ours.verifier])
    assert [s.name for s in opened.signatures] == ["PeterNeumann"]
    assert [s.name for s in opened.unverified] == ["witness.example/w1"]
    both = open_note(cosigned.signed(), [ours.verifier, other.verifier])
    assert len(both.signatures) == 2
    again = sign(GO_TEXT, ours, both.signatures)  # the same key signs again: one line of it
    assert [s.name for s in again.signatures] == ["witness.example/w1", "PeterNeumann"]


@pytest.mark.parametrize(
    "mangled",
    [
        GO_VERIFIER.replace("c74f20a3", "c74f20a4"),  # the key ID does not match
        GO_VERIFIER.replace("ARpc", "BRpc"),  # another algorithm byte
        GO_VERIFIER + "BADKEY==",
        "PeterNeumann+c74f20a3",
        "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        GO_VERIFIER.replace("+ARpc", "+!Rpc"),
    ],
)
def test_a_mangled_verifier_key_is_refused(mangled: str) -> None:
    with pytest.raises(NoteError):
        Verifier.parse(mangled)


def test_a_mangled_signer_key_is_refused() -> None:
    with pytest.raises(NoteError, match="starts with PRIVATE"):
        Signer.parse(GO_VERIFIER)
    with pytest.raises(NoteError, match="ID does not match"):
        Signer.parse(GO_SIGNER.replace("c74f20a3", "00000000"))


def test_a_cosignature_signs_the_c2sp_message_with_its_time() -> None:
    text = Checkpoint("example.com/behind-the-sofa", 20852163, bytes(range(32))).text()
    assert cosigned_message(text, 1679315147) == (
        b"cosignature/v1\ntime 1679315147\nexample.com/behind-the-sofa\n20852163\n"
        + base64.b64encode(bytes(range(32)))
        + b"\n"
    )
    witness = Signer.generate("witness.example.com/w1", COSIGNATURE_V1)
    made = witness.sign(text, 1679315147)
    assert made.raw[:8] == (1679315147).to_bytes(8, "big") and len(made.raw) == 72
    assert witness.verifier.accepts(text, made)
    assert (
        witness.verifier.key_id != Verifier(witness.name, ED25519, witness.verifier.public).key_id
    )
    later = type(made)(made.name, made.key_id, (1679315148).to_bytes(8, "big") + made.raw[8:])
    assert not witness.verifier.accepts(text, later)  # the time is signed


def test_a_checkpoint_reads_back_and_a_malformed_one_is_refused() -> None:
    checkpoint = Checkpoint("refunds.example/ledger", 135, bytes(32))
    assert Checkpoint.parse(checkpoint.text()) == checkpoint
    for bad in ("origin\n12\n", "origin\n012\nAAAA\n", "origin\nx\nAAAA\n", "origin\n1\nAAAA\n"):
        with pytest.raises(NoteError):
            Checkpoint.parse(bad)


def test_key_files_are_written_private_and_never_over_a_key(tmp_path: Path) -> None:
    private, public = write_keys(tmp_path, "refunds.test/log")
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    assert load_signer(str(private)).verifier == load_verifier(str(public))
    with pytest.raises(InvalidKeyFile, match="exists: a key is never overwritten"):
        write_keys(tmp_path, "refunds.test/log")
    with pytest.raises(InvalidKeyFile, match="is a signing key, a secret"):
        load_verifier(str(private))
    private.chmod(0o640)
    with pytest.raises(InvalidKeyFile, match=r"open to group or others \(mode 0640\)"):
        load_signer(str(private))
    assert load_verifier(public.read_text().strip()) == load_verifier(str(public))  # given as text
