"""The Merkle tree against RFC 6962's reference vectors (as published with Certificate
Transparency's implementations), a recursive transcription of the RFC, and exhaustive
tampering of every proof in trees of up to 40 leaves."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Sequence

import pytest

from audit_log.merkle import (
    EMPTY_ROOT,
    CompactTree,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root,
    verify_consistency,
    verify_inclusion,
)

# The reference leaves and tree heads of RFC 6962 implementations (certificate-transparency,
# transparency-dev/merkle testonly/constants.go and proof/verify_test.go).
LEAVES = [
    bytes.fromhex(h)
    for h in (
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    )
]
ROOTS = [
    bytes.fromhex(h)
    for h in (
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    )
]
LEAF_HASHES = [
    bytes.fromhex(h)
    for h in (
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
        "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658",
        "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
        "46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1",
    )
]


def _hashes(*hexes: str) -> list[bytes]:
    return [bytes.fromhex(h) for h in hexes]


# (leaf index, tree size, audit path): the reference lists them with 1-based leaves.
INCLUSION_VECTORS = [
    (0, 1, []),
    (
        0,
        8,
        _hashes(
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ),
    ),
    (
        5,
        8,
        _hashes(
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ),
    ),
    (
        2,
        3,
        _hashes("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"),
    ),
    (
        1,
        5,
        _hashes(
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ),
    ),
]

# (first, second, proof)
CONSISTENCY_VECTORS = [
    (1, 1, []),
    (
        1,
        8,
        _hashes(
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ),
    ),
    (
        6,
        8,
        _hashes(
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ),
    ),
    (
        2,
        5,
        _hashes(
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ),
    ),
    (
        6,
        7,
        _hashes(
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ),
    ),
]

HASHED = [leaf_hash(data) for data in LEAVES]


# -- a literal transcription of RFC 6962 §2.1, to compare the iterative code with ---------


def _k(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def _mth(d: Sequence[bytes]) -> bytes:
    if not d:
        return hashlib.sha256(b"").digest()
    if len(d) == 1:
        return d[0]
    k = _k(len(d))
    return node_hash(_mth(d[:k]), _mth(d[k:]))


def _path(m: int, d: Sequence[bytes]) -> list[bytes]:
    if len(d) == 1:
        return []
    k = _k(len(d))
    if m < k:
        return [*_path(m, d[:k]), _mth(d[k:])]
    return [*_path(m - k, d[k:]), _mth(d[:k])]


def _subproof(m: int, d: Sequence[bytes], whole: bool) -> list[bytes]:
    if m == len(d):
        return [] if whole else [_mth(d)]
    k = _k(len(d))
    if m <= k:
        return [*_subproof(m, d[:k], whole), _mth(d[k:])]
    return [*_subproof(m - k, d[k:], False), _mth(d[:k])]


def _tree(n: int) -> list[bytes]:
    return [leaf_hash(i.to_bytes(4, "big")) for i in range(n)]


# -- reference vectors -------------------------------------------------------------------


def test_leaf_and_node_hashes_are_domain_separated() -> None:
    assert leaf_hash(b"") == hashlib.sha256(b"\x00").digest()
    assert node_hash(b"a", b"b") == hashlib.sha256(b"\x01ab").digest()
    assert HASHED == LEAF_HASHES


def test_roots_match_the_reference_for_every_size() -> None:
    assert root([]) == EMPTY_ROOT == ROOTS[0]
    for size in range(len(HASHED) + 1):
        assert root(HASHED[:size]) == ROOTS[size], size


@pytest.mark.parametrize(("index", "size", "proof"), INCLUSION_VECTORS)
def test_inclusion_proofs_match_the_reference(index: int, size: int, proof: list[bytes]) -> None:
    assert inclusion_proof(HASHED[:size], index) == proof
    assert verify_inclusion(index, size, HASHED[index], proof, ROOTS[size])


@pytest.mark.parametrize(("first", "second", "proof"), CONSISTENCY_VECTORS)
def test_consistency_proofs_match_the_reference(
    first: int, second: int, proof: list[bytes]
) -> None:
    assert consistency_proof(HASHED[:second], first) == proof
    assert verify_consistency(first, second, ROOTS[first], ROOTS[second], proof)


def test_the_iterative_code_matches_the_rfc_text() -> None:
    for n in range(1, 70):
        leaves = _tree(n)
        assert root(leaves) == _mth(leaves)
        for m in range(n):
            assert inclusion_proof(leaves, m) == _path(m, leaves)
        for m in range(1, n):
            assert consistency_proof(leaves, m) == _subproof(m, leaves, True)


def test_compact_tree_gives_the_root_at_every_size() -> None:
    leaves = _tree(100)
    tree = CompactTree()
    assert tree.root() == EMPTY_ROOT
    for size, leaf in enumerate(leaves, start=1):
        tree.append(leaf)
        assert (tree.size, tree.root()) == (size, root(leaves[:size]))


def test_a_million_leaves_take_seconds_not_minutes() -> None:
    leaves = [hashlib.sha256(i.to_bytes(4, "big")).digest() for i in range(1_000_000)]
    started = time.perf_counter()
    top = root(leaves)
    proof = inclusion_proof(leaves, 765_432)
    assert verify_inclusion(765_432, len(leaves), leaves[765_432], proof, top)
    assert time.perf_counter() - started < 20  # about 1.5 s on a laptop; generous for CI


def test_proofs_for_impossible_positions_are_refused() -> None:
    with pytest.raises(ValueError, match="outside"):
        inclusion_proof(HASHED, 8)
    with pytest.raises(ValueError, match="outside"):
        inclusion_proof([], 0)
    with pytest.raises(ValueError, match="outside"):
        consistency_proof(HASHED, 9)
    with pytest.raises(ValueError, match="outside"):
        consistency_proof(HASHED, -1)
    assert consistency_proof(HASHED, 0) == consistency_proof(HASHED, 8) == []


# -- exhaustive tampering ------------------------------------------------------------------

MAX = 40
TREE = _tree(2 * MAX + 2)
TREE_ROOTS = [root(TREE[:n]) for n in range(len(TREE) + 1)]
OTHER = hashlib.sha256(b"other").digest()


def _flipped(proof: list[bytes]) -> list[list[bytes]]:
    """Every proof that differs from ``proof`` in one byte of one element."""
    out = []
    for i, element in enumerate(proof):
        for j in range(len(element)):
            changed = bytearray(element)
            changed[j] ^= 0x01
            out.append([*proof[:i], bytes(changed), *proof[i + 1 :]])
    return out


def _reshaped(proof: list[bytes], extras: Sequence[bytes]) -> list[list[bytes]]:
    """Every proof with one element dropped, or one extra element anywhere."""
    out = [[*proof[:i], *proof[i + 1 :]] for i in range(len(proof))]
    for extra in extras:
        out += [[*proof[:i], extra, *proof[i:]] for i in range(len(proof) + 1)]
    return out


def _flip(value: bytes) -> bytes:
    return bytes([value[0] ^ 0x80]) + value[1:]


def test_every_inclusion_proof_verifies_and_every_tampering_fails() -> None:
    for size in range(1, MAX + 1):
        top = TREE_ROOTS[size]
        for index in range(size):
            leaf = TREE[index]
            proof = inclusion_proof(TREE[:size], index)
            assert verify_inclusion(index, size, leaf, proof, top)
            for bad in _flipped(proof) + _reshaped(proof, [OTHER, leaf, top, b""]):
                assert not verify_inclusion(index, size, leaf, bad, top), (index, size, bad)
            assert not verify_inclusion(index, size, _flip(leaf), proof, top)
            assert not verify_inclusion(index, size, leaf, proof, _flip(top))
            assert not verify_inclusion(index, size, leaf, proof, top[:31])
            for other in range(-1, size + 1):
                if other != index:
                    assert not verify_inclusion(other, size, leaf, proof, top), (other, size)
            # A proof is for one tree: not for a bigger or smaller one, each with its own
            # root (a head signs size and root together).
            for other_size in {size - 1, size + 1, size * 2, size // 2} - {size}:
                if other_size > 0:
                    claimed = TREE_ROOTS[other_size]
                    assert not verify_inclusion(index, other_size, leaf, proof, claimed)
            # With the same root, only the size's binding to the root tells them apart.
            assert verify_inclusion(index, size + 1, leaf, proof, top) == _shape_ambiguous(
                index, size, size + 1
            )


def _shape_ambiguous(index: int, size: int, other: int) -> bool:
    """Whether the audit path of ``index`` has the same shape in trees of ``size`` and
    ``other`` leaves: then the same path and root verify for both sizes, which is why the
    size is signed together with the root. (Only trailing right-hand nodes can differ.)"""
    return _path_shape(index, size) == _path_shape(index, other)


def _path_shape(index: int, size: int) -> list[bool]:
    """For each step up from the leaf: whether the sibling is on the left."""
    shape = []
    fn, sn = index, size - 1
    while sn:
        if fn & 1 or fn == sn:
            shape.append(True)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            shape.append(False)
        fn >>= 1
        sn >>= 1
    return shape


def test_every_consistency_proof_verifies_and_every_tampering_fails() -> None:
    for second in range(MAX + 1):
        for first in range(second + 1):
            old, new = TREE_ROOTS[first], TREE_ROOTS[second]
            proof = consistency_proof(TREE[:second], first)
            assert verify_consistency(first, second, old, new, proof), (first, second)
            # Sizes out of order never verify.
            assert not verify_consistency(second + 1, second, old, new, proof)
            if first in (0, second):
                assert proof == []
                assert not verify_consistency(first, second, old, new, [OTHER])
                if first == second:
                    assert not verify_consistency(first, second, old, _flip(new), [])
                continue
            for bad in _flipped(proof) + _reshaped(proof, [OTHER, old, new, proof[0], b""]):
                assert not verify_consistency(first, second, old, new, bad), (first, second, bad)
            assert not verify_consistency(first, second, old, new, [])
            assert not verify_consistency(first, second, _flip(old), new, proof)
            assert not verify_consistency(first, second, old, _flip(new), proof)
            assert not verify_consistency(first, second, new, old, proof)
            # Wrong sizes with the same roots: a different first size never verifies;
            # a different second size does only where the proof's shape is the same (the
            # signed head binds each size to its root, so that cannot be exploited).
            for other in {first - 1, first + 1, first ^ 2} - {first}:
                assert not verify_consistency(other, second, old, new, proof), (other, second)
            for other in (second * 2, second // 2):
                if other != second:
                    assert not verify_consistency(first, other, old, new, proof)
            # Wrong sizes, each with its own true root: never.
            for f, s in (
                (first - 1, second),
                (first + 1, second),
                (first, second - 1),
                (first, second + 1),
                (first - 1, second - 1),
                (first + 1, second + 1),
            ):
                if 0 < f < s:
                    assert not verify_consistency(f, s, TREE_ROOTS[f], TREE_ROOTS[s], proof), (
                        f,
                        s,
                    )


def test_consistency_edge_cases_follow_rfc_9162() -> None:
    some, other = ROOTS[3], ROOTS[4]
    assert verify_consistency(0, 0, some, some, [])
    assert verify_consistency(0, 5, some, other, [])  # the empty tree precedes any tree
    assert verify_consistency(4, 4, other, other, [])
    assert not verify_consistency(4, 4, some, other, [])
    assert not verify_consistency(0, 0, some, some, [some])
    assert not verify_consistency(0, 5, some, other, [some])
    assert not verify_consistency(2, 1, some, other, [])
    assert not verify_consistency(-1, 1, some, other, [])
    assert not verify_consistency(1, 2, some, other, [])  # a growing tree needs a proof
    assert not verify_consistency(4, 8, ROOTS[4], ROOTS[8], [b"short"])


def test_inclusion_edge_cases() -> None:
    assert verify_inclusion(0, 1, HASHED[0], [], HASHED[0])
    assert not verify_inclusion(0, 1, HASHED[0], [], HASHED[1])
    assert not verify_inclusion(0, 0, HASHED[0], [], EMPTY_ROOT)
    assert not verify_inclusion(1, 1, HASHED[0], [], HASHED[0])
    assert not verify_inclusion(-1, 1, HASHED[0], [], HASHED[0])
    assert not verify_inclusion(0, 1, b"", [], b"")
