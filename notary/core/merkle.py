"""OpenZeppelin ``StandardMerkleTree`` (v1.x) for leaves ``["bytes32","address","bytes32"]``.

Byte-for-byte the library's layout, so roots and proofs are interchangeable with it and
verify with Solidity's ``MerkleProof``:

- leaf = keccak256(keccak256(abi.encode(digest, issuer, metadataDigest)));
- node = keccak256(min(a, b) ‖ max(a, b));
- leaves sorted by hash (stable, like JS ``Array.sort``), then stored at the end of an
  array of 2n-1 nodes in *reverse* sorted order (tree[2n-2-r] is the r-th smallest), and
  node i has children 2i+1 and 2i+2 (``makeMerkleTree``).

The node array is held as one ``bytes`` of 32*(2n-1) bytes (64 MB at 1M leaves) instead
of millions of small objects; input order is kept in two ``array('I')`` permutations.
"""

from __future__ import annotations

from array import array
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import NamedTuple

from notary.core._keccak import keccak256
from notary.core.errors import FormatError, NotInTreeError
from notary.core.types import Digest, Leaf, LeafValues, Root

LEAF_ENCODING = ("bytes32", "address", "bytes32")
_ADDRESS_PAD = bytes(12)  # abi.encode left-pads an address to 32 bytes


class MultiProof(NamedTuple):
    """OpenZeppelin ``getMultiProof`` output: leaves by descending tree index, proof, flags."""

    leaves: list[Leaf]
    proof: list[bytes]
    proof_flags: list[bool]


def leaf_hash(values: LeafValues) -> Leaf:
    """The OpenZeppelin standard leaf of (digest, issuer, metadataDigest)."""
    address = _address_bytes(values.issuer)
    encoded = values.digest.raw + _ADDRESS_PAD + address + values.metadata_digest.raw
    return Leaf(keccak256(keccak256(encoded)))


def leaf_hasher(issuer: str) -> Callable[[Digest, Digest], Leaf]:
    """``leaf_hash`` for many leaves of one issuer: ``f(digest, metadata_digest)``.

    Byte-identical to ``leaf_hash(LeafValues(digest, issuer, metadata_digest))`` (a test
    compares them on random inputs); the issuer is checked and encoded once, which is
    most of the cost of a leaf when accepting documents in bulk.
    """
    middle = _ADDRESS_PAD + _address_bytes(issuer)
    k = keccak256

    def leaf_of(digest: Digest, metadata_digest: Digest) -> Leaf:
        return Leaf(k(k(digest.raw + middle + metadata_digest.raw)))

    return leaf_of


def _address_bytes(issuer: str) -> bytes:
    try:
        address = bytes.fromhex(issuer[2:]) if issuer.startswith("0x") else b""
    except (ValueError, AttributeError):
        address = b""
    if len(address) != 20 or len(issuer) != 42:
        raise FormatError("values[1]", "expected 0x followed by 40 hex digits")
    return address


def node_hash(a: bytes, b: bytes) -> bytes:
    """Hash of a sorted pair, as ``standardNodeHash`` and Solidity's ``MerkleProof``."""
    return keccak256(a + b if a < b else b + a)


class MerkleTree:
    """An immutable StandardMerkleTree over leaf hashes, indexed in the caller's input order."""

    __slots__ = ("_count", "_nodes", "_order", "_rank")

    def __init__(self, nodes: bytes, order: array[int]) -> None:
        """Use :meth:`from_leaves`; this only assembles already-computed parts."""
        self._nodes = nodes
        self._count = len(order)
        self._order = order  # sorted rank -> input index
        rank = array("I", bytes(4 * self._count))
        for r, i in enumerate(order):
            rank[i] = r
        self._rank = rank  # input index -> sorted rank

    @classmethod
    def from_leaves(cls, leaves: Sequence[Leaf]) -> MerkleTree:
        """Build the tree; ``leaves[i]`` keeps input index ``i`` for :meth:`proof`."""
        if not all(type(leaf) is Leaf for leaf in leaves):
            raise FormatError("leaves", "expected a sequence of Leaf")
        raws = [leaf.raw for leaf in leaves]
        n = len(raws)
        if n == 0:
            raise FormatError("leaves", "a Merkle tree needs at least one leaf")
        # Latin-1 strings order exactly like the bytes but hit CPython's fast string compare
        # in sort (faster at 1M leaves). sorted() is stable, like JS Array.prototype.sort.
        keys = [raw.decode("latin-1") for raw in raws]
        order = sorted(range(n), key=keys.__getitem__)
        del keys
        tree: list[bytes] = [b""] * (n - 1)
        tree.extend(raws[i] for i in reversed(order))
        del raws
        _fill_internal_nodes(tree, n)
        nodes = b"".join(tree)
        del tree
        return cls(nodes, array("I", order))

    @classmethod
    def from_values(cls, values: Iterable[LeafValues]) -> MerkleTree:
        """Build the tree of ``StandardMerkleTree.of(values, LEAF_ENCODING)``."""
        return cls.from_leaves([leaf_hash(v) for v in values])

    def __len__(self) -> int:
        return self._count

    @property
    def root(self) -> Root:
        """The root: what gets anchored."""
        return Root(self._nodes[:32])

    def leaf(self, input_index: int) -> Leaf:
        """The leaf given at ``input_index``."""
        return Leaf(self._node(self._tree_index(input_index)))

    def leaves(self) -> Iterator[Leaf]:
        """All leaves in input order."""
        return (self.leaf(i) for i in range(self._count))

    def index_of(self, leaf: Leaf) -> int:
        """Input index of ``leaf`` (the last one if repeated, as OpenZeppelin's lookup)."""
        if type(leaf) is not Leaf:
            raise FormatError("leaf", "expected a Leaf")
        target, nodes, top = leaf.raw, self._nodes, 2 * self._count - 2
        lo, hi = 0, self._count
        while lo < hi:  # bisect_right over the sorted leaves (stored reversed at the end)
            mid = (lo + hi) // 2
            at = 32 * (top - mid)
            if target < nodes[at : at + 32]:
                hi = mid
            else:
                lo = mid + 1
        at = 32 * (top - lo + 1)
        if lo == 0 or nodes[at : at + 32] != target:
            raise NotInTreeError(f"leaf {leaf.hex} is not in this tree")
        return self._order[lo - 1]

    def proof(self, input_index: int) -> list[bytes]:
        """Sibling hashes from the leaf up to the root (``getProof``)."""
        i = self._tree_index(input_index)
        nodes = self._nodes
        proof = []
        while i > 0:
            s = 32 * (i + 1 if i & 1 else i - 1)
            proof.append(nodes[s : s + 32])
            i = (i - 1) >> 1
        return proof

    def proof_for(self, leaf: Leaf) -> list[bytes]:
        """Proof for a leaf looked up by hash."""
        return self.proof(self.index_of(leaf))

    def multiproof(self, input_indices: Iterable[int]) -> MultiProof:
        """A multiproof in OpenZeppelin's ``getMultiProof`` format."""
        indices = sorted((self._tree_index(i) for i in input_indices), reverse=True)
        if len(set(indices)) != len(indices):
            raise FormatError("input_indices", "cannot prove a duplicated index")
        stack = deque(indices)
        proof: list[bytes] = []
        flags: list[bool] = []
        while stack and stack[0] > 0:
            j = stack.popleft()
            s = j + 1 if j & 1 else j - 1
            if stack and stack[0] == s:
                flags.append(True)
                stack.popleft()
            else:
                flags.append(False)
                proof.append(self._node(s))
            stack.append((j - 1) >> 1)
        if not indices:
            proof.append(self._node(0))
        return MultiProof([Leaf(self._node(i)) for i in indices], proof, flags)

    def tree_nodes(self) -> list[bytes]:
        """The whole node array as OpenZeppelin's ``dump().tree`` lists it (for tests, audits)."""
        nodes = self._nodes
        return [nodes[k : k + 32] for k in range(0, len(nodes), 32)]

    def node_bytes(self) -> bytes:
        """The node array as one ``bytes``: ``b"".join(self.tree_nodes())`` without the copies."""
        return self._nodes

    def _tree_index(self, input_index: int) -> int:
        if not 0 <= input_index < self._count:
            raise IndexError(f"leaf index {input_index} out of range 0..{self._count - 1}")
        return 2 * self._count - 2 - self._rank[input_index]

    def _node(self, i: int) -> bytes:
        return self._nodes[32 * i : 32 * i + 32]


def _fill_internal_nodes(tree: list[bytes], n: int) -> None:
    """Compute nodes n-2..0 in place, one depth at a time, deepest first."""
    # Internal nodes are 0..n-2; depth d spans [2^d - 1, 2^(d+1) - 1). A whole depth is
    # done by one list comprehension, which a per-node Python loop cannot match.
    k = keccak256
    depth = (n - 1).bit_length()
    for d in range(depth, -1, -1):
        lo, hi = (1 << d) - 1, min((1 << (d + 1)) - 1, n - 1)
        if lo >= hi:
            continue
        left = tree[2 * lo + 1 : 2 * hi + 1 : 2]
        right = tree[2 * lo + 2 : 2 * hi + 2 : 2]
        tree[lo:hi] = [k(a + b) if a < b else k(b + a) for a, b in zip(left, right, strict=True)]


def process_proof(leaf: Leaf | bytes, proof: Sequence[bytes]) -> bytes:
    """Fold a proof onto a leaf (``processProof``); the result is the implied root."""
    node = _as32(leaf, "leaf")
    for i, sibling in enumerate(proof):
        if type(sibling) is not bytes or len(sibling) != 32:  # named only when it fails
            sibling = _as32(sibling, f"proof[{i}]")
        node = node_hash(node, sibling)
    return node


def verify_proof(leaf: Leaf | bytes, proof: Sequence[bytes], root: Root | bytes) -> bool:
    """True when the proof leads from the leaf to the root; False otherwise, even if malformed."""
    try:
        return process_proof(leaf, proof) == _as32(root, "root")
    except FormatError:
        return False


def process_multiproof(
    leaves: Sequence[Leaf | bytes], proof: Sequence[bytes], proof_flags: Sequence[bool]
) -> bytes:
    """The root implied by a multiproof (``processMultiProof``); FormatError if inconsistent."""
    stack = deque(_as32(x, f"leaves[{i}]") for i, x in enumerate(leaves))
    hashes = deque(_as32(x, f"proof[{i}]") for i, x in enumerate(proof))
    if len(hashes) < sum(1 for f in proof_flags if not f):
        raise FormatError("proof", "fewer proof hashes than false flags")
    if len(stack) + len(hashes) != len(proof_flags) + 1:
        raise FormatError("proof_flags", "leaves and proof do not fit the flags")
    for flag in proof_flags:
        a = stack.popleft()
        b = stack.popleft() if flag else hashes.popleft()
        stack.append(node_hash(a, b))
    return stack.pop() if stack else hashes.popleft()


def verify_multiproof(multiproof: MultiProof, root: Root | bytes) -> bool:
    """True when the multiproof leads to the root; False otherwise, even if malformed."""
    try:
        return process_multiproof(*multiproof) == _as32(root, "root")
    except (FormatError, IndexError):  # IndexError: the flags pop an empty stack
        return False


def _as32(value: Leaf | Root | bytes, field: str) -> bytes:
    raw = value.raw if isinstance(value, Leaf | Root) else value
    if not isinstance(raw, bytes) or len(raw) != 32:
        raise FormatError(field, "expected 32 bytes")
    return raw
