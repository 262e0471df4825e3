"""Sealing batches: by size, by interval, all in one transaction, never a document twice."""

from __future__ import annotations

import datetime as dt
import os
import threading

import pytest
from sqlalchemy import select

from notary.core.merkle import MerkleTree
from notary.core.types import Digest, Leaf
from notary.pipeline.accept import DocumentInput, accept, accept_many
from notary.pipeline.batcher import MAX_BATCH_MAX, pending_count, seal_due_batches
from notary.store import chain_ops
from notary.store.engine import Store, open_store
from notary.store.models import Batch, BatchNodes, Document

from .conftest import ISSUER

T0 = dt.datetime(2025, 6, 1, 8, 0, tzinfo=dt.UTC)


def _accept(store: Store, n: int, at: dt.datetime = T0) -> list[Leaf]:
    docs = [DocumentInput(Digest(os.urandom(32)), {"documentNumber": str(i)}) for i in range(n)]
    return [r.record.leaf for r in accept_many(store, ISSUER, docs, now=at)]


def _placements(store: Store) -> dict[bytes, tuple[str, int | None, int | None]]:
    with store.read() as conn:
        rows = conn.execute(
            select(Document.leaf, Document.status, Document.batch_id, Document.tree_index)
        )
        return {leaf: (status, batch, index) for leaf, status, batch, index in rows}


def test_nothing_pending_seals_nothing(store: Store) -> None:
    assert seal_due_batches(store, now=T0) == []


def test_seals_by_size_and_leaves_the_rest_pending(store: Store) -> None:
    _accept(store, 25)
    sealed = seal_due_batches(store, now=T0, batch_max=10, batch_interval_s=30)
    assert [b.leaf_count for b in sealed] == [10, 10]
    assert pending_count(store) == 5


def test_seals_by_interval(store: Store) -> None:
    _accept(store, 3)
    assert seal_due_batches(store, now=T0 + dt.timedelta(seconds=29), batch_interval_s=30) == []
    sealed = seal_due_batches(store, now=T0 + dt.timedelta(seconds=30), batch_interval_s=30)
    assert [b.leaf_count for b in sealed] == [3]
    assert pending_count(store) == 0


def test_a_seal_records_batch_positions_nodes_and_anchor_op(store: Store) -> None:
    leaves = _accept(store, 130)  # three node chunks
    (batch,) = seal_due_batches(store, now=T0 + dt.timedelta(minutes=1))
    tree = MerkleTree.from_leaves(leaves)
    assert batch.root == tree.root and batch.leaf_count == 130
    with store.read() as conn:
        row = conn.execute(select(Batch.state, Batch.root, Batch.leaf_count)).one()
        assert tuple(row) == ("sealed", tree.root.raw, 130)
        chunks = (
            conn.execute(
                select(BatchNodes.nodes)
                .where(BatchNodes.batch_id == batch.id)
                .order_by(BatchNodes.chunk)
            )
            .scalars()
            .all()
        )
        assert b"".join(chunks) == b"".join(tree.tree_nodes())
        (op,) = chain_ops.unfinished(conn)
    assert (op["kind"], op["state"], op["batch_id"], op["id"]) == (
        "anchor",
        "queued",
        batch.id,
        batch.chain_op_id,
    )
    assert op["payload"] == {"root": tree.root.hex, "leafCount": 130, "batchId": batch.id}
    nodes = tree.tree_nodes()
    for leaf, (status, batch_id, index) in _placements(store).items():
        assert status == "sealed" and batch_id == batch.id and index is not None
        assert nodes[index] == leaf


def test_documents_accepted_after_a_seal_go_to_the_next_batch(store: Store) -> None:
    _accept(store, 4)
    (first,) = seal_due_batches(store, now=T0 + dt.timedelta(minutes=1))
    late = accept(store, ISSUER, Digest(os.urandom(32)), now=T0 + dt.timedelta(minutes=1)).record
    assert late.status == "pending"
    (second,) = seal_due_batches(store, now=T0 + dt.timedelta(minutes=2))
    assert second.id != first.id and second.leaf_count == 1
    assert _placements(store)[late.leaf.raw][1] == second.id


@pytest.mark.parametrize("bad", [0, MAX_BATCH_MAX + 1])
def test_batch_max_is_bounded(store: Store, bad: int) -> None:
    with pytest.raises(ValueError):
        seal_due_batches(store, now=T0, batch_max=bad)


def test_concurrent_sealers_never_share_a_document(store: Store, database_url: str) -> None:
    _accept(store, 600)
    stores = [open_store(database_url) for _ in range(3)]
    results: list[list[int]] = [[] for _ in stores]
    errors: list[BaseException] = []
    start = threading.Barrier(len(stores))

    def run(i: int) -> None:
        try:
            start.wait()
            for _ in range(5):
                results[i] += [
                    b.leaf_count
                    for b in seal_due_batches(
                        stores[i], now=T0 + dt.timedelta(minutes=1), batch_max=40
                    )
                ]
        except BaseException as exc:  # surfaced below, with the thread's traceback
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(stores))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for s in stores:
        s.dispose()
    assert not errors, errors
    assert sum(sum(r) for r in results) == 600
    placements = _placements(store)
    assert all(status == "sealed" for status, _, _ in placements.values())
    with store.read() as conn:
        counts = conn.execute(select(Batch.id, Batch.leaf_count)).all()
    assert sum(c for _, c in counts) == 600
    per_batch: dict[int, int] = {}
    for _, batch_id, _ in placements.values():
        assert batch_id is not None
        per_batch[batch_id] = per_batch.get(batch_id, 0) + 1
    assert per_batch == dict(counts)
