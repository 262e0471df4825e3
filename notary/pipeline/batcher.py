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
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import cast

from sqlalchemy import Connection, Table, and_, func, insert, select, text

from notary.core.merkle import MerkleTree
from notary.core.types import Leaf, Root
from notary.store import chain_ops
from notary.store.engine import Store
from notary.store.models import FINAL_BATCH_STATE, SEALED, Batch, Document
from notary.store.nodes import write_nodes
from notary.util.memory import RELEASE_AFTER, gc_paused, release_freed_memory

log = logging.getLogger("notary.batcher")

DEFAULT_BATCH_MAX = 10_000
MAX_BATCH_MAX = 1_000_000
"""Largest batch: 64 MB of nodes and ~20 proof steps; the anchor costs the same at any size."""
DEFAULT_BATCH_INTERVAL_S = 30.0

_DOCS = cast(Table, Document.__table__)
_BATCHES = cast(Table, Batch.__table__)
# Pending ⇔ no batch and no position (a CHECK constraint). Spelled with both columns so
# that the unique (batch_id, tree_index) index yields pending rows already in id order.
_PENDING = and_(_DOCS.c.batch_id.is_(None), _DOCS.c.tree_index.is_(None))


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
    if sum(b.leaf_count for b in sealed) >= RELEASE_AFTER:
        release_freed_memory()
    return sealed


def _seal_one(
    store: Store, now: dt.datetime, batch_max: int, interval: dt.timedelta
) -> SealedBatch | None:
    """Seal one batch if one is due; None when nothing is."""
    if not _due(store, now, batch_max, interval):
        return None
    with gc_paused(), store.write() as conn:
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
        oldest = oldest_pending_at(conn)
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
    started = time.perf_counter()
    tree = MerkleTree.from_leaves([Leaf(leaf) for _, leaf in rows])
    nodes = tree.node_bytes()
    # Leaves given in sorted order keep their rank as input index, and OpenZeppelin's
    # layout puts rank r at node 2n-2-r; check the layout once rather than trust it.
    if nodes[32 * (2 * n - 2) :] != rows[0][1]:
        raise AssertionError("Merkle layout changed: the smallest leaf is not the last node")
    root = tree.root
    built = time.perf_counter()
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
    stored = time.perf_counter()
    placed = _place(conn, batch_id, rows)
    if placed != n:
        raise RuntimeError(f"batch {batch_id}: {n - placed} documents were sealed elsewhere")
    op_id = chain_ops.enqueue(
        conn,
        "anchor",
        {"root": root.hex, "leafCount": n, "batchId": batch_id},
        batch_id=batch_id,
        now=now,
    )
    log.info(
        "sealed batch %s: %s documents, tree %.2fs, nodes %.2fs, placement %.2fs",
        batch_id,
        n,
        built - started,
        stored - built,
        time.perf_counter() - stored,
    )
    return SealedBatch(batch_id, root, n, op_id, now)


def _place(conn: Connection, batch_id: int, by_leaf: Sequence[tuple[int, bytes]]) -> int:
    """Mark documents sealed at their tree positions; returns how many rows changed.

    `by_leaf` is sorted by leaf: rank r goes to tree index 2n-2-r. One UPDATE joins a
    list of (id, tree_index) sent in id order, so the rows, the index entries removed
    and the ones added are all visited in order; a million single-row UPDATEs took
    several times longer (measured).
    """
    top = 2 * len(by_leaf) - 2
    if conn.dialect.name == "postgresql":
        # One statement over one array: executemany would cost a round trip per row.
        result = conn.execute(
            text(
                "UPDATE documents AS d SET status = 'sealed', batch_id = :batch_id,"
                " tree_index = :top + 1 - v.rank"
                " FROM unnest(CAST(:ids AS bigint[])) WITH ORDINALITY AS v(id, rank)"
                " WHERE d.id = v.id AND d.batch_id IS NULL"
            ),
            {"batch_id": batch_id, "top": top, "ids": [doc_id for doc_id, _ in by_leaf]},
        )
        return result.rowcount
    positions = sorted((doc_id, top - rank) for rank, (doc_id, _) in enumerate(by_leaf))
    conn.exec_driver_sql(
        "CREATE TEMP TABLE seal_positions (id INTEGER PRIMARY KEY, tree_index INTEGER NOT NULL)"
    )
    conn.exec_driver_sql("INSERT INTO seal_positions (id, tree_index) VALUES (?, ?)", positions)
    # UPDATE … FROM needs SQLite 3.33 (2020); the temp table goes with the transaction.
    result = conn.exec_driver_sql(
        "UPDATE documents SET status = 'sealed', batch_id = ?, tree_index = p.tree_index"
        " FROM seal_positions AS p WHERE documents.id = p.id AND documents.batch_id IS NULL",
        (batch_id,),
    )
    conn.exec_driver_sql("DROP TABLE seal_positions")
    return result.rowcount


def pending_count(store: Store) -> int:
    """How many documents wait for a batch."""
    with store.read() as conn:
        return int(conn.execute(select(func.count()).where(_PENDING)).scalar_one())


def oldest_pending_at(conn: Connection) -> dt.datetime | None:
    """When the oldest document not yet in a batch was accepted (None if none is)."""
    oldest: dt.datetime | None = conn.execute(
        select(_DOCS.c.created_at).where(_PENDING).order_by(_DOCS.c.id).limit(1)
    ).scalar()
    return oldest


def document_counts(conn: Connection) -> dict[str, int]:
    """Documents by the status they read as (pending, sealed, anchored), cheaply.

    Sealed and anchored come from the batches' leaf counts (a batch's documents read as
    anchored while it is final), so this never counts a million document rows.
    """
    counts = {"pending": int(conn.execute(select(func.count()).where(_PENDING)).scalar_one())}
    final = _BATCHES.c.state == FINAL_BATCH_STATE
    rows = conn.execute(
        select(final.label("final"), func.coalesce(func.sum(_BATCHES.c.leaf_count), 0))
        .where(_BATCHES.c.root.is_not(None))
        .group_by(final)
    ).all()
    by_final = {bool(is_final): int(total) for is_final, total in rows}
    counts["sealed"] = by_final.get(False, 0)
    counts["anchored"] = by_final.get(True, 0)
    return counts
