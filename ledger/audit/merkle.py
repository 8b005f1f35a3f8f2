"""The Merkle tree of RFC 9162 section 2.1: hashes, proofs, and their verification.

Leaves hash as SHA-256(0x00 || data), interior nodes as SHA-256(0x01 || left || right); the
tree over n leaves splits at the largest power of two below n. Proofs are built from the
hashes of perfect subtrees (`Nodes`), which the log keeps (ledger/store/merkle_log.py) or
which `LeafNodes` computes from a list of leaf hashes. Verification follows the RFC's
algorithms (2.1.3.2, 2.1.4.2) step by step, and refuses the cases transparency-dev/merkle
refuses (tests/vectors/merkle holds its published vectors).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()

Node = Callable[[int, int], bytes]  # (level, index) -> hash of leaves [index << level, +2**level)


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def split(size: int) -> int:
    """The largest power of two smaller than `size` (> 1): where the tree of `size` splits."""
    return 1 << ((size - 1).bit_length() - 1)


def range_hash(node: Node, start: int, end: int) -> bytes:
    """MTH of the leaves [start, end), `start` aligned as the tree's own splits align it."""
    size = end - start
    if size == 0:
        return EMPTY_ROOT
    if size & (size - 1) == 0 and start % size == 0:
        return node(size.bit_length() - 1, start // size)
    k = split(size)
    return node_hash(range_hash(node, start, start + k), range_hash(node, start + k, end))


def inclusion_proof(node: Node, index: int, size: int) -> list[bytes]:
    """PATH(index, D[size]) of RFC 9162 2.1.3.1, from the leaf's sibling up."""
    if not 0 <= index < size:
        raise ValueError(f"leaf {index} is not in a tree of {size}")
    path: list[bytes] = []
    start, end = 0, size
    while end - start > 1:
        k = split(end - start)
        if index < start + k:
            path.append(range_hash(node, start + k, end))
            end = start + k
        else:
            path.append(range_hash(node, start, start + k))
            start += k
    path.reverse()
    return path


def consistency_proof(node: Node, old: int, new: int) -> list[bytes]:
    """PROOF(old, D[new]) of RFC 9162 2.1.4.1 (empty when old is 0 or equals new)."""
    if not 0 <= old <= new:
        raise ValueError(f"a tree of {old} cannot grow into one of {new}")
    if old in (0, new):
        return []
    proof: list[bytes] = []
    start, end, whole = 0, new, True  # SUBPROOF(m, D[start:end], b) with m = old - start
    while True:
        m = old - start
        if m == end - start:
            if not whole:
                proof.append(range_hash(node, start, end))
            break
        k = split(end - start)
        if m <= k:
            proof.append(range_hash(node, start + k, end))
            end = start + k
        else:
            proof.append(range_hash(node, start, start + k))
            start, whole = start + k, False
    proof.reverse()
    return proof


def verify_inclusion(
    index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes
) -> bool:
    """RFC 9162 2.1.3.2: does `proof` put `leaf` at `index` of the tree of `size` and `root`?"""
    if not 0 <= index < size or len(leaf) != HASH_SIZE:
        return False
    if any(len(p) != HASH_SIZE for p in proof):
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == root


def verify_consistency(
    old: int, new: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """RFC 9162 2.1.4.2: is the tree of `new` and `new_root` an append-only extension of the
    tree of `old` and `old_root`? A proof from the empty tree is refused (it says nothing)."""
    if not 0 < old <= new or any(len(p) != HASH_SIZE for p in proof):
        return False
    if old == new:
        return not proof and old_root == new_root
    if not proof:
        return False
    path = list(proof)
    if old & (old - 1) == 0:
        path.insert(0, old_root)
    fn, sn = old - 1, new - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and fr == old_root and sr == new_root


class LeafNodes:
    """`Node` over a list of leaf hashes held in memory (tests, receipts, small trees)."""

    def __init__(self, leaves: Sequence[bytes]) -> None:
        self.leaves = leaves
        self.cache: dict[tuple[int, int], bytes] = {}

    def __call__(self, level: int, index: int) -> bytes:
        if level == 0:
            return self.leaves[index]
        key = (level, index)
        found = self.cache.get(key)
        if found is None:
            found = node_hash(self(level - 1, 2 * index), self(level - 1, 2 * index + 1))
            self.cache[key] = found
        return found

    def root(self, size: int | None = None) -> bytes:
        return range_hash(self, 0, len(self.leaves) if size is None else size)


@dataclass
class Frontier:
    """The right edge of a growing tree: the roots of its perfect subtrees, largest first
    (one per set bit of `size`). Appending a leaf merges equal subtrees; `root()` folds them.
    This is all the state the log needs to grow; its nodes are kept elsewhere."""

    size: int = 0
    hashes: list[bytes] = field(default_factory=list)

    def append(self, leaf: bytes) -> list[tuple[int, int, bytes]]:
        """Add a leaf; the perfect subtrees it completed, as (level, index, hash), lowest first
        (the leaf itself at level 0 first)."""
        done = [(0, self.size, leaf)]
        carry, level, index = leaf, 0, self.size
        while (self.size >> level) & 1:
            carry = node_hash(self.hashes.pop(), carry)
            level, index = level + 1, index >> 1
            done.append((level, index, carry))
        self.hashes.append(carry)
        self.size += 1
        return done

    def extend(self, leaves: Sequence[bytes]) -> dict[int, tuple[int, list[bytes]]]:
        """Add many leaves at once (what `append` does for each, level by level over the
        whole batch); the nodes they completed, by level: (first index, the nodes in order)."""
        pending = dict(zip(_set_bits(self.size), self.hashes, strict=True))
        completed: dict[int, tuple[int, list[bytes]]] = {}
        nodes, first, level = list(leaves), self.size, 0
        sha256 = hashlib.sha256
        while nodes:
            completed[level] = (first, nodes)
            row = nodes
            if first & 1:  # its left sibling is this level's pending node
                row = [pending.pop(level), *nodes]
                first -= 1
            if len(row) & 1:
                pending[level] = row[-1]
            nodes = [
                sha256(b"\x01" + row[i] + row[i + 1]).digest() for i in range(0, len(row) - 1, 2)
            ]
            first >>= 1
            level += 1
        self.size += len(leaves)
        self.hashes = [pending[bit] for bit in _set_bits(self.size)]
        return completed

    def root(self) -> bytes:
        if not self.hashes:
            return EMPTY_ROOT
        found = self.hashes[-1]
        for left in reversed(self.hashes[:-1]):
            found = node_hash(left, found)
        return found

    def to_bytes(self) -> bytes:
        return b"".join(self.hashes)

    @classmethod
    def from_bytes(cls, size: int, data: bytes) -> Frontier:
        hashes = [data[i : i + HASH_SIZE] for i in range(0, len(data), HASH_SIZE)]
        if len(hashes) != bin(size).count("1") or len(data) % HASH_SIZE:
            raise ValueError(f"a frontier of {len(hashes)} hashes cannot be a tree of {size}")
        return cls(size, hashes)


def _set_bits(size: int) -> list[int]:
    """The levels of a tree's pending perfect subtrees, largest first (the set bits)."""
    return [bit for bit in range(size.bit_length() - 1, -1, -1) if size >> bit & 1]
