"""The service's Merkle tree: RFC 6962 / RFC 9162 (Certificate Transparency) over SHA-256.

Leaves are already hashed (:func:`leaf_hash` of :func:`audit_log.chain.leaf_data`), so the
functions here take leaf *hashes*. The tree's root commits to every leaf and to their
order; a signed root (:mod:`audit_log.heads`) therefore pins the whole log up to its size,
and the proofs let anyone check one event, or that a later log extends an earlier one,
without the rest of the log.

Everything is iterative: a tree of a million leaves costs about a million hashes, with no
recursion and no quadratic slicing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

__all__ = [
    "EMPTY_ROOT",
    "CompactTree",
    "consistency_proof",
    "inclusion_proof",
    "leaf_hash",
    "node_hash",
    "root",
    "verify_consistency",
    "verify_inclusion",
]

_HASH_SIZE = 32
_LEAF = b"\x00"
_NODE = b"\x01"

EMPTY_ROOT = hashlib.sha256(b"").digest()
"""The root of the empty tree: SHA-256 of nothing (RFC 6962 §2.1)."""


def leaf_hash(data: bytes) -> bytes:
    """SHA-256(0x00 || data): the hash of a leaf, prefixed so no leaf is mistaken for a node."""
    return hashlib.sha256(_LEAF + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 || left || right): the hash of an interior node."""
    return hashlib.sha256(_NODE + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two smaller than ``n`` (``n`` > 1): where RFC 6962 splits."""
    return 1 << ((n - 1).bit_length() - 1)


def _range_root(leaves: Sequence[bytes], lo: int, hi: int) -> bytes:
    """MTH(D[lo:hi]) for a non-empty range, bottom-up.

    Pairing neighbours level by level and carrying an unpaired last node up unchanged
    builds exactly RFC 6962's tree: its left subtrees are always perfect, so the only
    unpaired node of a level is the rightmost one.
    """
    sha256 = hashlib.sha256
    level = list(leaves[lo:hi])
    while len(level) > 1:
        paired = [
            sha256(_NODE + level[i] + level[i + 1]).digest() for i in range(0, len(level) - 1, 2)
        ]
        if len(level) % 2:
            paired.append(level[-1])
        level = paired
    return level[0]


def root(leaf_hashes: Sequence[bytes]) -> bytes:
    """The Merkle tree hash MTH(D[n]) of the leaves; :data:`EMPTY_ROOT` for none."""
    if not leaf_hashes:
        return EMPTY_ROOT
    return _range_root(leaf_hashes, 0, len(leaf_hashes))


class CompactTree:
    """A tree grown one leaf at a time that keeps only the roots of its perfect subtrees
    (at most log2(n) hashes), so a writer or verifier can take the root at any size as
    leaves stream past without holding them all.
    """

    __slots__ = ("_size", "_stack")

    def __init__(self) -> None:
        self._size = 0
        self._stack: list[bytes] = []

    @property
    def size(self) -> int:
        """How many leaves were appended."""
        return self._size

    def append(self, leaf: bytes) -> None:
        """Add the next leaf hash, merging the subtrees it completes."""
        node = leaf
        size = self._size
        while size & 1:
            node = node_hash(self._stack.pop(), node)
            size >>= 1
        self._stack.append(node)
        self._size += 1

    def root(self) -> bytes:
        """MTH of the leaves appended so far: the perfect subtrees folded right to left."""
        if not self._stack:
            return EMPTY_ROOT
        node = self._stack[-1]
        for left in reversed(self._stack[:-1]):
            node = node_hash(left, node)
        return node


def inclusion_proof(leaf_hashes: Sequence[bytes], index: int) -> list[bytes]:
    """The audit path PATH(index, D[n]) (RFC 6962 §2.1.1), leaf's sibling first.

    Raises :class:`ValueError` when ``index`` is not a leaf of the tree.
    """
    n = len(leaf_hashes)
    if not 0 <= index < n:
        raise ValueError(f"leaf index {index} is outside a tree of {n} leaves")
    # Walk down from the root; each step records the sibling subtree's root. The
    # recursion appends on the way back up, so the walk's order is reversed at the end.
    top_down: list[bytes] = []
    lo, hi, m = 0, n, index
    while hi - lo > 1:
        k = _split(hi - lo)
        if m < k:
            top_down.append(_range_root(leaf_hashes, lo + k, hi))
            hi = lo + k
        else:
            top_down.append(_range_root(leaf_hashes, lo, lo + k))
            lo, m = lo + k, m - k
    return top_down[::-1]


def consistency_proof(leaf_hashes: Sequence[bytes], first: int) -> list[bytes]:
    """PROOF(first, D[n]) (RFC 6962 §2.1.2): the nodes that show the tree of the first
    ``first`` leaves is a prefix of this one. Empty when ``first`` is 0 or ``n``.

    Raises :class:`ValueError` when ``first`` is not between 0 and ``n``.
    """
    n = len(leaf_hashes)
    if not 0 <= first <= n:
        raise ValueError(f"size {first} is outside 0..{n}")
    if first in (0, n):
        return []
    # SUBPROOF(m, D[lo:hi], b), unrolled; like the audit path, built top-down and reversed.
    top_down: list[bytes] = []
    lo, hi, m, whole = 0, n, first, True
    while True:
        if m == hi - lo:
            if not whole:
                top_down.append(_range_root(leaf_hashes, lo, hi))
            break
        k = _split(hi - lo)
        if m <= k:
            top_down.append(_range_root(leaf_hashes, lo + k, hi))
            hi = lo + k
        else:
            top_down.append(_range_root(leaf_hashes, lo, lo + k))
            lo, m, whole = lo + k, m - k, False
    return top_down[::-1]


def _hashes(*values: bytes | Sequence[bytes]) -> bool:
    """Whether every value (or element) is a 32-byte hash: anything else cannot verify."""
    for value in values:
        items = [value] if isinstance(value, bytes | bytearray) else value
        if any(not isinstance(v, bytes | bytearray) or len(v) != _HASH_SIZE for v in items):
            return False
    return True


def verify_inclusion(
    index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes
) -> bool:
    """Whether ``proof`` shows the leaf hash ``leaf`` at ``index`` in the tree of ``size``
    leaves whose root is ``root`` (RFC 9162 §2.1.3.2). Never raises."""
    if not 0 <= index < size or not _hashes(leaf, proof, root):
        return False
    fn, sn = index, size - 1
    r = bytes(leaf)
    for p in proof:
        if sn == 0:
            return False  # the proof is longer than the path to the root
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(
    first: int, second: int, first_root: bytes, second_root: bytes, proof: Sequence[bytes]
) -> bool:
    """Whether ``proof`` shows the tree of ``first`` leaves with root ``first_root`` is a
    prefix of the tree of ``second`` leaves with root ``second_root`` (RFC 9162 §2.1.4.2).

    Equal sizes need an empty proof and equal roots; size 0 is a prefix of everything and
    needs an empty proof. Never raises.
    """
    if not 0 <= first <= second or not _hashes(first_root, second_root, proof):
        return False
    if first == second:
        return not proof and first_root == second_root
    if first == 0:
        return not proof
    if not proof:
        return False
    path = list(proof)
    if first & (first - 1) == 0:
        # The old tree is a perfect subtree of the new one: its root starts the path.
        path.insert(0, bytes(first_root))
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False  # leftover proof elements
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == first_root and sr == second_root
