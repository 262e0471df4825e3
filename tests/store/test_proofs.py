"""Proofs read from the store equal the core tree's proofs and verify to the root."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest
from sqlalchemy import event

from notary.core.merkle import MerkleTree, verify_proof
from notary.core.types import Digest, Leaf
from notary.pipeline.accept import DocumentInput, accept, accept_many
from notary.pipeline.batcher import seal_due_batches
from notary.pipeline.proofs import proof_for
from notary.store.engine import Store, open_store
from notary.store.errors import DocumentNotFound, DocumentPending
from notary.store.issuers import create_issuer
from notary.store.migrate import upgrade
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


def test_proof_nodes_are_read_once_per_chunk(store: Store) -> None:
    docs = [DocumentInput(Digest(os.urandom(32))) for _ in range(200)]
    leaves = [r.record.leaf for r in accept_many(store, ISSUER, docs)]
    seal_due_batches(store, now=LATER)
    queries: list[str] = []
    event.listen(store.engine, "before_cursor_execute", lambda *a: queries.append(a[2]))
    first = proof_for(store, leaves[0])
    assert any("batch_nodes" in q for q in queries)
    queries.clear()
    again = proof_for(store, leaves[0])
    assert again.proof == first.proof
    assert not any("batch_nodes" in q for q in queries)  # the chunks came from the cache


def test_cached_nodes_never_cross_batches_with_the_same_id(tmp_path: Path) -> None:
    """Two databases whose batch 1 differs: each proof verifies against its own root."""
    for name in ("a", "b"):
        url = f"sqlite:///{tmp_path / name}.db"
        upgrade(url)
        other = open_store(url)
        try:
            with other.write() as conn:
                create_issuer(conn, ISSUER, "Agency")
            docs = [DocumentInput(Digest(os.urandom(32))) for _ in range(50)]
            leaves = [r.record.leaf for r in accept_many(other, ISSUER, docs)]
            (batch,) = seal_due_batches(other, now=LATER)
            assert batch.id == 1
            tree = MerkleTree.from_leaves(leaves)
            for i, leaf in enumerate(leaves):
                stored = proof_for(other, leaf)
                assert stored.proof == tree.proof(i) and stored.root == tree.root
        finally:
            other.dispose()
