"""The Merkle tree: properties, layout details, multiproofs, error cases."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from notary.core.errors import FormatError, NotInTreeError
from notary.core.merkle import (
    MerkleTree,
    MultiProof,
    leaf_hash,
    leaf_hasher,
    node_hash,
    process_multiproof,
    process_proof,
    verify_multiproof,
    verify_proof,
)
from notary.core.types import Digest, Leaf, LeafValues, Root, to_checksum_address

leaves = st.binary(min_size=32, max_size=32).map(Leaf)
leaf_lists = st.lists(leaves, min_size=1, max_size=70)


@settings(max_examples=120, deadline=None)
@given(leaf_lists)
def test_every_leaf_is_provable(items: list[Leaf]) -> None:
    tree = MerkleTree.from_leaves(items)
    assert len(tree) == len(items)
    for i, leaf in enumerate(items):
        assert tree.leaf(i) == leaf
        assert verify_proof(leaf, tree.proof(i), tree.root)
        assert tree.index_of(leaf) == max(j for j, x in enumerate(items) if x == leaf)
        assert verify_proof(leaf, tree.proof_for(leaf), tree.root)


@settings(max_examples=120, deadline=None)
@given(leaf_lists, leaves, st.data())
def test_no_proof_of_a_non_member(items: list[Leaf], outsider: Leaf, data: st.DataObject) -> None:
    tree = MerkleTree.from_leaves(items)
    if outsider in items:
        return
    with pytest.raises(NotInTreeError):
        tree.index_of(outsider)
    i = data.draw(st.integers(0, len(items) - 1))
    assert not verify_proof(outsider, tree.proof(i), tree.root)


@settings(max_examples=120, deadline=None)
@given(st.lists(leaves, min_size=1, max_size=40, unique=True), st.data())
def test_multiproofs_verify(items: list[Leaf], data: st.DataObject) -> None:
    tree = MerkleTree.from_leaves(items)
    chosen = data.draw(st.lists(st.integers(0, len(items) - 1), unique=True))
    multi = tree.multiproof(chosen)
    assert sorted(x.raw for x in multi.leaves) == sorted(items[i].raw for i in chosen)
    assert verify_multiproof(multi, tree.root)
    if multi.proof:
        flipped = bytes([multi.proof[0][0] ^ 1]) + multi.proof[0][1:]
        bad = MultiProof(multi.leaves, [flipped, *multi.proof[1:]], multi.proof_flags)
        assert not verify_multiproof(bad, tree.root)


def test_small_trees_by_hand() -> None:
    a, b, c = (Leaf(bytes([x]) * 32) for x in (1, 2, 3))
    assert MerkleTree.from_leaves([a]).root == Root(a.raw)
    assert MerkleTree.from_leaves([a]).proof(0) == []
    two = MerkleTree.from_leaves([b, a])
    assert two.root.raw == node_hash(a.raw, b.raw) == node_hash(b.raw, a.raw)
    # Three leaves: sorted a<b<c stored as [root, H(b, a), c, b, a].
    three = MerkleTree.from_leaves([c, a, b])
    assert three.tree_nodes()[1:] == [node_hash(a.raw, b.raw), c.raw, b.raw, a.raw]
    assert three.proof(0) == [node_hash(a.raw, b.raw)]
    assert three.proof(1) == [b.raw, c.raw]


def test_leaf_hash_rejects_bad_issuer() -> None:
    d = Digest(bytes(32))
    for issuer in ("0x12", "0x" + "zz" * 20, "0x " + "1" * 39, "1" * 42):
        with pytest.raises(FormatError) as info:
            leaf_hash(LeafValues(d, issuer, d))
        assert info.value.field == "values[1]"


def test_errors() -> None:
    tree = MerkleTree.from_leaves([Leaf(bytes(32)), Leaf(bytes([1]) * 32)])
    with pytest.raises(FormatError):
        MerkleTree.from_leaves([])
    with pytest.raises(FormatError):
        MerkleTree.from_leaves([Digest(bytes(32))])  # type: ignore[list-item]
    with pytest.raises(IndexError):
        tree.proof(2)
    with pytest.raises(IndexError):
        tree.proof(-1)
    with pytest.raises(FormatError):
        tree.multiproof([0, 0])
    with pytest.raises(FormatError) as info:
        process_proof(Leaf(bytes(32)), [bytes(32), b"short"])
    assert info.value.field == "proof[1]"
    assert not verify_proof(Leaf(bytes(32)), [b"short"], tree.root)
    with pytest.raises(FormatError):
        process_multiproof([tree.leaf(0)], [], [True])
    assert not verify_multiproof(MultiProof([tree.leaf(0)], [], [True]), tree.root)


def test_empty_multiproof_is_the_root() -> None:
    tree = MerkleTree.from_leaves([Leaf(bytes([i]) * 32) for i in range(5)])
    multi = tree.multiproof([])
    assert multi == MultiProof([], [tree.root.raw], [])
    assert verify_multiproof(multi, tree.root)


@settings(max_examples=300, deadline=None)
@given(
    st.binary(min_size=32, max_size=32),
    st.binary(min_size=20, max_size=20),
    st.binary(min_size=32, max_size=32),
    st.sampled_from(["lower", "checksum"]),
)
def test_leaf_hasher_is_byte_identical_to_leaf_hash(
    digest: bytes, address: bytes, metadata: bytes, spelling: str
) -> None:
    issuer = "0x" + address.hex()
    if spelling == "checksum":
        issuer = to_checksum_address(issuer)
    leaf_of = leaf_hasher(issuer)
    expected = leaf_hash(LeafValues(Digest(digest), issuer, Digest(metadata)))
    assert leaf_of(Digest(digest), Digest(metadata)) == expected
    assert leaf_of(Digest(digest), Digest(metadata)).raw == expected.raw


def test_leaf_hasher_rejects_bad_issuer_like_leaf_hash() -> None:
    for issuer in ("0x1234", "12" * 21, "0x" + "zz" * 20):
        with pytest.raises(FormatError) as caught:
            leaf_hasher(issuer)
        assert caught.value.field == "values[1]"


def test_node_bytes_is_the_joined_node_array() -> None:
    tree = MerkleTree.from_leaves([Leaf(bytes([i]) * 32) for i in range(1, 8)])
    assert tree.node_bytes() == b"".join(tree.tree_nodes())
