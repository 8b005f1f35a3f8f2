"""The witness: consistent checkpoints are cosigned, a shrunk or forked log is an
inconsistency (not cosigned, the kept checkpoint kept), a checkpoint the log did not sign
is refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from ledger.audit.merkle import LeafNodes, consistency_proof, leaf_hash
from ledger.audit.note import COSIGNATURE_V1, Checkpoint, NoteError, Signer, open_note, sign
from ledger.audit.witness import InvalidWitnessState, Witness

LOG = Signer.generate("refunds.test/log")
WITNESS = Signer.generate("witness.test/w1", COSIGNATURE_V1)


def _tree(size: int, fork: bool = False) -> LeafNodes:
    leaves = [leaf_hash(b"%d" % i) for i in range(size)]
    if fork:
        leaves[2] = leaf_hash(b"another history")
    return LeafNodes(leaves)


def _note(tree: LeafNodes, size: int, signer: Signer = LOG) -> str:
    return sign(Checkpoint(signer.name, size, tree.root(size)).text(), signer).signed()


def _witness(tmp_path: Path) -> Witness:
    return Witness(WITNESS, LOG.verifier, tmp_path)


def test_consistent_checkpoints_are_cosigned_one_after_another(tmp_path: Path) -> None:
    tree, witness = _tree(40), _witness(tmp_path)
    for size in (5, 17, 17, 40):

        def proof(old: int, new: int = size) -> list[bytes]:
            return consistency_proof(tree, old, new)

        outcome = witness.observe(_note(tree, size), proof, 1_700_000_000)
        assert outcome.inconsistent is None and outcome.cosigned is not None
        opened = open_note(outcome.cosigned, [LOG.verifier, WITNESS.verifier])
        assert {s.name for s in opened.signatures} == {LOG.name, WITNESS.name}
        assert witness.kept() == Checkpoint(LOG.name, size, tree.root(size))


def test_a_shrunk_or_forked_log_is_not_cosigned_and_the_kept_checkpoint_stays(
    tmp_path: Path,
) -> None:
    tree, witness = _tree(40), _witness(tmp_path)
    witness.observe(_note(tree, 20), lambda old: [], 1)
    kept = witness.kept()
    shrunk = witness.observe(_note(tree, 10), lambda old: [], 2)
    assert shrunk.cosigned is None and "the log shrank" in str(shrunk.inconsistent)
    forked_tree = _tree(40, fork=True)
    forked = witness.observe(
        _note(forked_tree, 30), lambda old: consistency_proof(forked_tree, old, 30), 3
    )
    assert forked.cosigned is None and "the log forked" in str(forked.inconsistent)
    same_size = witness.observe(_note(forked_tree, 20), lambda old: [], 4)
    assert "the log forked" in str(same_size.inconsistent)
    assert witness.kept() == kept


def test_a_checkpoint_the_log_did_not_sign_is_refused(tmp_path: Path) -> None:
    tree, witness = _tree(8), _witness(tmp_path)
    impostor = Signer.generate(LOG.name)
    with pytest.raises(NoteError, match="no known key"):
        witness.observe(_note(tree, 8, impostor), lambda old: [], 1)
    edited = _note(tree, 8).replace("\n8\n", "\n7\n")
    with pytest.raises(NoteError, match="does not verify"):
        witness.observe(edited, lambda old: [], 1)
    assert witness.kept() is None


def test_a_state_file_that_is_not_a_witnesss_is_refused(tmp_path: Path) -> None:
    (tmp_path / "witness-state.json").write_text("{}")
    with pytest.raises(InvalidWitnessState, match="is not a witness's state"):
        _witness(tmp_path).kept()
