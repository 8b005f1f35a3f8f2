"""The RFC 9162 tree and its proofs, against published vectors and by property.

The vectors: RFC 6962's hash examples and Certificate Transparency's reference tree (eight
leaves, the roots of each size, its proofs), as transparency-dev/merkle publishes them, and
that library's JSON test data (tests/vectors/merkle), each case a happy path or a mangling.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.audit.merkle import (
    EMPTY_ROOT,
    Frontier,
    LeafNodes,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    verify_consistency,
    verify_inclusion,
)

VECTORS = Path(__file__).parent.parent / "vectors" / "merkle"

# Certificate Transparency's reference leaves and the root of the tree of each size 1..8
CT_LEAVES = [bytes.fromhex(h) for h in ("", "00", "10", "2021", "3031", "40414243",
             "5051525354555657", "606162636465666768696a6b6c6d6e6f")]  # fmt: skip
CT_ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
# (leaf index 1-based as published, tree size, proof) and (size1, size2, proof)
CT_INCLUSION = [
    (1, 1, []),
    (1, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (6, 8, ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (3, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (2, 5, ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
]  # fmt: skip
CT_CONSISTENCY = [
    (1, 1, []),
    (1, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (6, 8, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 5, ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
    (6, 7, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
]  # fmt: skip
CT_HASHES = [leaf_hash(leaf) for leaf in CT_LEAVES]


def _hex(items: list[str]) -> list[bytes]:
    return [bytes.fromhex(item) for item in items]


def test_the_rfc_6962_hash_examples() -> None:
    assert EMPTY_ROOT.hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert leaf_hash(b"").hex() == (
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
    )
    assert leaf_hash(b"L123456").hex() == (
        "395aa064aa4c29f7010acfe3f25db9485bbd4b91897b6ad7ad547639252b4d56"
    )
    assert node_hash(b"N123", b"N456").hex() == (
        "aa217fe888e47007fa15edab33c2b492a722cb106c64667fc2b044444de66bbb"
    )


@pytest.mark.parametrize("size", range(1, 9))
def test_the_reference_tree_has_the_published_root_at_each_size(size: int) -> None:
    frontier = Frontier()
    for leaf in CT_HASHES[:size]:
        frontier.append(leaf)
    assert LeafNodes(CT_HASHES[:size]).root().hex() == CT_ROOTS[size - 1]
    assert frontier.root().hex() == CT_ROOTS[size - 1]
    kept = Frontier.from_bytes(frontier.size, frontier.to_bytes())
    assert kept.root() == frontier.root()


@pytest.mark.parametrize(("index", "size", "proof"), CT_INCLUSION)
def test_inclusion_proofs_are_the_published_ones(index: int, size: int, proof: list[str]) -> None:
    nodes = LeafNodes(CT_HASHES)
    made = inclusion_proof(nodes, index - 1, size)
    assert made == _hex(proof)
    root = bytes.fromhex(CT_ROOTS[size - 1])
    assert verify_inclusion(index - 1, size, CT_HASHES[index - 1], made, root)


@pytest.mark.parametrize(("old", "new", "proof"), CT_CONSISTENCY)
def test_consistency_proofs_are_the_published_ones(old: int, new: int, proof: list[str]) -> None:
    made = consistency_proof(LeafNodes(CT_HASHES), old, new)
    assert made == _hex(proof)
    roots = bytes.fromhex(CT_ROOTS[old - 1]), bytes.fromhex(CT_ROOTS[new - 1])
    assert verify_consistency(old, new, *roots, made)


def _cases(kind: str) -> list[tuple[str, dict[str, Any]]]:
    found = json.loads((VECTORS / f"{kind}.json").read_text())
    return sorted(found.items())


def _b64(value: str | None) -> bytes:
    return base64.b64decode(value or "")


@pytest.mark.parametrize(("name", "case"), _cases("inclusion"))
def test_each_published_inclusion_case(name: str, case: dict[str, Any]) -> None:
    verified = verify_inclusion(
        case["leafIdx"],
        case["treeSize"],
        _b64(case["leafHash"]),
        [_b64(p) for p in case["proof"] or []],
        _b64(case["root"]),
    )
    assert verified is not case["wantErr"], case["desc"]


@pytest.mark.parametrize(("name", "case"), _cases("consistency"))
def test_each_published_consistency_case(name: str, case: dict[str, Any]) -> None:
    verified = verify_consistency(
        case["size1"],
        case["size2"],
        _b64(case["root1"]),
        _b64(case["root2"]),
        [_b64(p) for p in case["proof"] or []],
    )
    assert verified is not case["wantErr"], case["desc"]


def test_the_vectors_hold_both_happy_paths_and_manglings() -> None:
    for kind in ("inclusion", "consistency"):
        wanted = [case["wantErr"] for _, case in _cases(kind)]
        assert wanted.count(False) >= 5 and wanted.count(True) >= 60, kind


def _leaves(size: int) -> list[bytes]:
    return [leaf_hash(i.to_bytes(4, "big")) for i in range(size)]


def _flip(data: bytes, at: int) -> bytes:
    return data[:at] + bytes([data[at] ^ 1]) + data[at + 1 :]


@settings(max_examples=150, deadline=None)
@given(st.integers(1, 300).flatmap(lambda n: st.tuples(st.just(n), st.integers(0, n - 1))))
def test_every_inclusion_proof_verifies_and_no_mangled_one_does(case: tuple[int, int]) -> None:
    size, index = case
    leaves = _leaves(2 * size + 1)
    nodes = LeafNodes(leaves)
    root, proof = nodes.root(size), inclusion_proof(nodes, index, size)
    assert verify_inclusion(index, size, leaves[index], proof, root)
    assert not verify_inclusion(index, size, _flip(leaves[index], 0), proof, root)
    assert not verify_inclusion(index, size, leaves[index], proof, _flip(root, 31))
    for at in range(len(proof)):
        bent = [*proof[:at], _flip(proof[at], at % 32), *proof[at + 1 :]]
        assert not verify_inclusion(index, size, leaves[index], bent, root)
    if proof:
        assert not verify_inclusion(index, size, leaves[index], proof[:-1], root)
        assert not verify_inclusion(index, size, leaves[index], [*proof, proof[0]], root)
    for other in {index ^ 1, index + 1, index - 1} - {index}:
        if 0 <= other < size and leaves[other] != leaves[index]:
            assert not verify_inclusion(other, size, leaves[index], proof, root)
    for other_size in {size + 1, size * 2, size - 1} - {size}:
        # the proof of one size does not place the leaf in the tree of another size (the
        # size alone is bound by the signed checkpoint, with the root: a proof cannot be)
        if other_size > index and inclusion_proof(nodes, index, other_size) != proof:
            other_root = nodes.root(other_size)
            assert not verify_inclusion(index, other_size, leaves[index], proof, other_root)


@settings(max_examples=150, deadline=None)
@given(st.integers(1, 300).flatmap(lambda n: st.tuples(st.integers(1, n), st.just(n))))
def test_every_consistency_proof_verifies_and_no_mangled_one_does(case: tuple[int, int]) -> None:
    old, new = case
    leaves = _leaves(new + 1)
    nodes = LeafNodes(leaves)
    old_root, new_root = nodes.root(old), nodes.root(new)
    proof = consistency_proof(nodes, old, new)
    assert verify_consistency(old, new, old_root, new_root, proof)
    assert not verify_consistency(old, new, _flip(old_root, 0), new_root, proof)
    assert not verify_consistency(old, new, old_root, _flip(new_root, 5), proof)
    for at in range(len(proof)):
        bent = [*proof[:at], _flip(proof[at], 7), *proof[at + 1 :]]
        assert not verify_consistency(old, new, old_root, new_root, bent)
    if old != new:
        assert not verify_consistency(old, new, new_root, old_root, proof)  # swapped
        assert not verify_consistency(old, new, old_root, new_root, proof[:-1])
        # a proof between two sizes does not join the trees of other sizes
        if consistency_proof(nodes, old, new + 1) != proof:
            assert not verify_consistency(old, new + 1, old_root, nodes.root(new + 1), proof)
        if old + 1 <= new and consistency_proof(nodes, old + 1, new) != proof:
            assert not verify_consistency(old + 1, new, nodes.root(old + 1), new_root, proof)
        # a fork: the new tree changed a leaf the old one had
        forked = LeafNodes([_flip(leaves[0], 3), *leaves[1:]])
        assert not verify_consistency(
            old, new, old_root, forked.root(new), consistency_proof(forked, old, new)
        )


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 600))
def test_the_frontier_grows_the_same_tree_and_names_every_completed_subtree(size: int) -> None:
    leaves = _leaves(size)
    frontier, completed = Frontier(), {}
    for leaf in leaves:
        for level, index, digest in frontier.append(leaf):
            completed[(level, index)] = digest
    nodes = LeafNodes(leaves)
    assert frontier.root() == nodes.root()
    assert all(nodes(level, index) == digest for (level, index), digest in completed.items())
    expected = sum(size >> level for level in range(size.bit_length()))  # every perfect subtree
    assert len(completed) == expected


def test_a_frontier_that_cannot_be_the_tree_it_claims_is_refused() -> None:
    with pytest.raises(ValueError, match="cannot be a tree of 3"):
        Frontier.from_bytes(3, b"\x00" * 32)


def test_proofs_outside_the_tree_are_refused() -> None:
    nodes = LeafNodes(CT_HASHES)
    with pytest.raises(ValueError):
        inclusion_proof(nodes, 8, 8)
    with pytest.raises(ValueError):
        consistency_proof(nodes, 5, 4)
    assert consistency_proof(nodes, 0, 8) == []
    assert not verify_consistency(0, 8, EMPTY_ROOT, bytes.fromhex(CT_ROOTS[7]), [])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 70), min_size=1, max_size=8))
def test_extending_by_batches_grows_the_tree_appending_leaf_by_leaf_grows(
    batches: list[int],
) -> None:
    one, many = Frontier(), Frontier()
    by_one: dict[tuple[int, int], bytes] = {}
    by_many: dict[tuple[int, int], bytes] = {}
    start = 0
    for count in batches:
        leaves = _leaves(start + count)[start:]
        for leaf in leaves:
            by_one.update({(level, index): node for level, index, node in one.append(leaf)})
        for level, (first, nodes) in many.extend(leaves).items():
            by_many.update({(level, first + i): node for i, node in enumerate(nodes)})
        start += count
        assert (many.size, many.hashes) == (one.size, one.hashes)
    assert by_many == by_one
