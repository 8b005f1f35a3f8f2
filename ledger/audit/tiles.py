"""The audit log's kept nodes, as tiles: every node of the tree, in blocks of height 4.

A tile of tier t and index k holds the 16 nodes of level 4t with indexes 16k..16k+15 (its
bottom row; tier 0: the leaves) and every node above them inside it: 8 of level 4t+1, 4, 2;
30 hashes, row after row. The node of level 4t+4 is the bottom of a tile of tier t+1. A
tile at the tree's right edge is partial: the slots of nodes not yet complete are zeros. A
proof of any leaf reads one tile per tier along its path and along the right edge, and
hashes nothing; the integrator writes each tile once it changes, about one row per 16 leaves.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from ledger.audit.merkle import HASH_SIZE

HEIGHT = 4
WIDTH = 1 << HEIGHT
SLOTS = 2 * WIDTH - 2  # 16 + 8 + 4 + 2
EMPTY = bytes(SLOTS * HASH_SIZE)

Key = tuple[int, int]  # (tier, index)


def place(level: int, index: int) -> tuple[Key, int]:
    """The tile holding node (level, index), and the node's slot in it."""
    tier, row = divmod(level, HEIGHT)
    shift = HEIGHT - row
    tile = index >> shift
    slot = (2 * WIDTH - (1 << (shift + 1))) + (index & ((1 << shift) - 1))
    return (tier, tile), slot


def along(positions: Iterable[int], size: int) -> set[Key]:
    """The tiles a proof about `positions` in the tree of `size` reads: the tile of each
    tier on each position's path and on the right edge's (the path to leaf size - 1)."""
    tiers = max(size - 1, 1).bit_length() // HEIGHT + 1  # the root's tier included
    paths = {*positions, size - 1}
    return {(t, p >> (HEIGHT * (t + 1))) for p in paths if p >= 0 for t in range(tiers)}


def get(tile: bytes, slot: int) -> bytes:
    return tile[slot * HASH_SIZE : (slot + 1) * HASH_SIZE]


def write_row(
    tiles: dict[Key, bytearray],
    base: Mapping[Key, bytes],
    level: int,
    first: int,
    nodes: list[bytes],
) -> None:
    """Write consecutive nodes of one level (from index `first`) into their tiles, one slice
    per tile; a tile not in `tiles` yet starts as `base` has it, or empty."""
    tier, row = divmod(level, HEIGHT)
    shift = HEIGHT - row
    width = 1 << shift
    row_start = SLOTS + 2 - 2 * width  # the row's first slot in the tile
    done, index = 0, first
    while done < len(nodes):
        local = index & (width - 1)
        take = min(width - local, len(nodes) - done)
        key = (tier, index >> shift)
        tile = tiles.get(key)
        if tile is None:
            tile = tiles[key] = bytearray(base.get(key, EMPTY))
        offset = (row_start + local) * HASH_SIZE
        tile[offset : offset + take * HASH_SIZE] = b"".join(nodes[done : done + take])
        done, index = done + take, index + take
