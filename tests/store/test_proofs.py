"""Proofs read from the store equal the core tree's proofs and verify to the root."""

from __future__ import annotations

import datetime as dt
import os

import pytest

from notary.core.merkle import MerkleTree, verify_proof
from notary.core.types import Digest, Leaf
from notary.pipeline.accept import DocumentInput, accept, accept_many
from notary.pipeline.batcher import seal_due_batches
from notary.pipeline.proofs import proof_for
from notary.store.engine import Store
from notary.store.errors import DocumentNotFound, DocumentPending
from notary.store.nodes import NODES_PER_CHUNK

from .conftest import ISSUER

LATER = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)


@pytest.mark.parametrize("n", [1, 2, 3, NODES_PER_CHUNK // 2 + 1, 300])
def test_stored_proofs_equal_core_proofs(store: Store, n: int) -> None:
    docs = [DocumentInput(Digest(os.urandom(32)), {"documentNumber": str(i)}) for i in range(n)]
    leaves = [r.record.leaf for r in accept_many(store, ISSUER, docs)]
    (batch,) = seal_due_batches(store, now=LATER)
    tree = MerkleTree.from_leaves(leaves)
    for i, leaf in enumerate(leaves):
        stored = proof_for(store, leaf.hex if i % 2 else leaf)
        assert stored.root == tree.root == batch.root
        assert stored.proof == tree.proof(i)
        assert verify_proof(leaf, stored.proof, stored.root)
        assert stored.batch.id == batch.id and stored.batch.state == "sealed"
        assert stored.document.leaf == leaf and stored.document.status == "sealed"


def test_each_batch_proves_against_its_own_root(store: Store) -> None:
    first = accept(store, ISSUER, Digest(os.urandom(32))).record.leaf
    seal_due_batches(store, now=LATER)
    second = accept(store, ISSUER, Digest(os.urandom(32))).record.leaf
    seal_due_batches(store, now=LATER)
    a, b = proof_for(store, first), proof_for(store, second)
    assert a.batch.id != b.batch.id and a.root != b.root
    assert a.proof == b.proof == []  # a one-leaf tree: the leaf is the root
    assert a.root.raw == first.raw


def test_pending_and_unknown_documents_have_no_proof(store: Store) -> None:
    pending = accept(store, ISSUER, Digest(os.urandom(32))).record.leaf
    with pytest.raises(DocumentPending):
        proof_for(store, pending)
    with pytest.raises(DocumentNotFound):
        proof_for(store, Leaf(os.urandom(32)))
