"""The batcher: seals pending documents into Merkle batches and queues their anchoring.

A batch is sealed when batch_max documents are pending, or when the oldest pending one
has waited batch_interval_s. Everything a seal produces is written in ONE transaction:
the batch (root, size), each document's batch and tree position, the node array, and an
`anchor` chain operation. Two sealers never take the same document: on PostgreSQL each
claims rows with SELECT … FOR UPDATE SKIP LOCKED; on SQLite the transaction starts with
BEGIN IMMEDIATE, so sealers (and accepts) take turns. Documents accepted while a seal is
in progress are not among the rows it claimed and go to the next batch.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import cast

from sqlalchemy import Connection, Table, func, insert, select, text

from notary.core.merkle import MerkleTree
from notary.core.types import Leaf, Root
from notary.store import chain_ops
from notary.store.engine import Store
from notary.store.models import PENDING, SEALED, Batch, Document
from notary.store.nodes import write_nodes

DEFAULT_BATCH_MAX = 10_000
MAX_BATCH_MAX = 1_000_000
"""Largest batch: 64 MB of nodes and ~20 proof steps; the anchor costs the same at any size."""
DEFAULT_BATCH_INTERVAL_S = 30.0

_DOCS = cast(Table, Document.__table__)
_BATCHES = cast(Table, Batch.__table__)
_PENDING = _DOCS.c.status == PENDING


@dataclass(frozen=True)
class SealedBatch:
    """What one seal produced."""

    id: int
    root: Root
    leaf_count: int
    chain_op_id: int
    sealed_at: dt.datetime


def seal_due_batches(
    store: Store,
    now: dt.datetime | None = None,
    batch_max: int = DEFAULT_BATCH_MAX,
    batch_interval_s: float = DEFAULT_BATCH_INTERVAL_S,
) -> list[SealedBatch]:
    """Seal every batch that is due now; returns them in the order sealed."""
    if not 1 <= batch_max <= MAX_BATCH_MAX:
        raise ValueError(f"batch_max must be 1..{MAX_BATCH_MAX}, got {batch_max}")
    if batch_interval_s < 0:
        raise ValueError(f"batch_interval_s must not be negative, got {batch_interval_s}")
    at = now or dt.datetime.now(dt.UTC)
    sealed = []
    while batch := _seal_one(store, at, batch_max, dt.timedelta(seconds=batch_interval_s)):
        sealed.append(batch)
    return sealed


def _seal_one(
    store: Store, now: dt.datetime, batch_max: int, interval: dt.timedelta
) -> SealedBatch | None:
    """Seal one batch if one is due; None when nothing is."""
    if not _due(store, now, batch_max, interval):
        return None
    with store.write() as conn:
        claim = (
            select(_DOCS.c.id, _DOCS.c.leaf).where(_PENDING).order_by(_DOCS.c.id).limit(batch_max)
        )
        if not store.is_sqlite:
            claim = claim.with_for_update(skip_locked=True)
        rows = sorted(conn.execute(claim).all(), key=itemgetter(1))
        if not rows:  # another sealer took them between our check and our claim
            return None
        return _seal(conn, rows, now)


def _due(store: Store, now: dt.datetime, batch_max: int, interval: dt.timedelta) -> bool:
    """Full batch waiting, or the oldest pending document waited long enough (no locks)."""
    with store.read() as conn:
        oldest = conn.execute(
            select(_DOCS.c.created_at).where(_PENDING).order_by(_DOCS.c.id).limit(1)
        ).scalar()
        if oldest is None:
            return False
        if oldest <= now - interval:
            return True
        # The batch_max-th pending row exists: an index-only skip over the partial index.
        nth = conn.execute(
            select(_DOCS.c.id).where(_PENDING).order_by(_DOCS.c.id).limit(1).offset(batch_max - 1)
        ).scalar()
        return nth is not None


def _seal(conn: Connection, rows: Sequence[tuple[int, bytes]], now: dt.datetime) -> SealedBatch:
    """Build the tree over `rows` (sorted by leaf) and write the batch, in `conn`'s transaction."""
    n = len(rows)
    tree = MerkleTree.from_leaves([Leaf(leaf) for _, leaf in rows])
    nodes = b"".join(tree.tree_nodes())
    # Leaves given in sorted order keep their rank as input index, and OpenZeppelin's
    # layout puts rank r at node 2n-2-r; check the layout once rather than trust it.
    if nodes[32 * (2 * n - 2) :] != rows[0][1]:
        raise AssertionError("Merkle layout changed: the smallest leaf is not the last node")
    root = tree.root
    batch_id: int = conn.execute(
        insert(_BATCHES)
        .values(
            root=root.raw,
            leaf_count=n,
            state=SEALED,
            created_at=now,
            sealed_at=now,
        )
        .returning(_BATCHES.c.id)
    ).scalar_one()
    write_nodes(conn, batch_id, nodes)
    placed = _place(
        conn, batch_id, [(doc_id, 2 * n - 2 - rank) for rank, (doc_id, _) in enumerate(rows)]
    )
    if placed != n:
        raise RuntimeError(f"batch {batch_id}: {n - placed} documents were sealed elsewhere")
    op_id = chain_ops.enqueue(
        conn,
        "anchor",
        {"root": root.hex, "leafCount": n, "batchId": batch_id},
        batch_id=batch_id,
        now=now,
    )
    return SealedBatch(batch_id, root, n, op_id, now)


def _place(conn: Connection, batch_id: int, positions: list[tuple[int, int]]) -> int:
    """Mark documents sealed at their tree positions; returns how many rows changed."""
    if conn.dialect.name == "postgresql":
        # One statement over two arrays: executemany would cost a round trip per row.
        result = conn.execute(
            text(
                "UPDATE documents AS d SET status = 'sealed', batch_id = :batch_id,"
                " tree_index = v.tree_index"
                " FROM unnest(CAST(:ids AS bigint[]), CAST(:idx AS integer[])) AS v(id, tree_index)"
                " WHERE d.id = v.id AND d.status = 'pending'"
            ),
            {
                "batch_id": batch_id,
                "ids": [p[0] for p in positions],
                "idx": [p[1] for p in positions],
            },
        )
        return result.rowcount
    # Plain DBAPI executemany: SQLAlchemy's per-row parameter handling doubled the time.
    result = conn.exec_driver_sql(
        "UPDATE documents SET status = 'sealed', batch_id = ?, tree_index = ?"
        " WHERE id = ? AND status = 'pending'",
        [(batch_id, p, d) for d, p in positions],
    )
    return result.rowcount


def pending_count(store: Store) -> int:
    """How many documents wait for a batch."""
    with store.read() as conn:
        return int(conn.execute(select(func.count()).where(_PENDING)).scalar_one())
