"""Figures read from the database for /v1/chain, /readyz and /metrics."""

from __future__ import annotations

import datetime as dt
from typing import cast

from sqlalchemy import Table, case, func, select

from api.metrics import gauge
from notary.pipeline.batcher import document_counts, oldest_pending_at
from notary.store.engine import Store
from notary.store.models import Batch, ChainOp

_BATCHES = cast(Table, Batch.__table__)
_OPS = cast(Table, ChainOp.__table__)
UNFINAL_BATCH_STATES = ("sealed", "anchoring", "anchored")
BATCH_SIZE_BUCKETS = (1, 10, 100, 1_000, 10_000, 100_000, 1_000_000)


def anchoring_lag(store: Store, now: dt.datetime | None = None) -> float:
    """Seconds the oldest not-yet-final document has waited (0 when none waits).

    Pending documents by acceptance time (a partial index); sealed ones by their batch's
    seal time, which reads the small batches table instead of scanning every document.
    """
    at = now or dt.datetime.now(dt.UTC)
    with store.read() as conn:
        pending = oldest_pending_at(conn)
        sealed = conn.execute(
            select(func.min(_BATCHES.c.created_at)).where(
                _BATCHES.c.state.in_(UNFINAL_BATCH_STATES)
            )
        ).scalar()
    oldest = min((t for t in (pending, sealed) if t is not None), default=None)
    if oldest is None:
        return 0.0
    if oldest.tzinfo is None:
        oldest = oldest.replace(tzinfo=dt.UTC)
    return max(0.0, float((at - oldest).total_seconds()))


def stored_metrics(store: Store) -> list[str]:
    """Gauges of stored state: documents by status, batches by size, chain ops, lag.

    Statuses as documents read (pending, sealed, anchored): only pending and sealed are
    stored, anchored is derived from the batch being final (see `document_counts`).
    """
    with store.read() as conn:
        counts = document_counts(conn)
        sizes = conn.execute(
            select(
                *[
                    func.sum(case((_BATCHES.c.leaf_count <= b, 1), else_=0))
                    for b in BATCH_SIZE_BUCKETS
                ],
                func.count(),
                func.coalesce(func.sum(_BATCHES.c.leaf_count), 0),
            ).where(_BATCHES.c.root.is_not(None))
        ).one()
        ops = conn.execute(
            select(
                _OPS.c.kind,
                _OPS.c.state,
                func.count(),
                func.coalesce(func.sum(_OPS.c.gas_used), 0),
                func.coalesce(func.sum(_OPS.c.gas_used * _OPS.c.effective_gas_price), 0),
            ).group_by(_OPS.c.kind, _OPS.c.state)
        ).all()
    lines = gauge(
        "notary_documents",
        "Stored documents by status",
        [((("status", s),), float(n)) for s, n in counts.items()],
    )
    lines += [
        "# HELP notary_batch_size_documents Documents per sealed batch",
        "# TYPE notary_batch_size_documents histogram",
    ]
    for bound, count in zip(BATCH_SIZE_BUCKETS, sizes[: len(BATCH_SIZE_BUCKETS)], strict=True):
        lines.append(f'notary_batch_size_documents_bucket{{le="{bound}"}} {int(count or 0)}')
    total, leaves = sizes[-2], sizes[-1]
    lines += [
        f'notary_batch_size_documents_bucket{{le="+Inf"}} {int(total)}',
        f"notary_batch_size_documents_count {int(total)}",
        f"notary_batch_size_documents_sum {int(leaves)}",
    ]
    lines += gauge(
        "notary_chain_operations",
        "Chain operations by kind and state",
        [((("kind", k), ("state", s)), float(n)) for k, s, n, _, _ in ops],
    )
    lines += gauge(
        "notary_chain_gas_used",
        "Gas used by mined chain operations (from their receipts), by kind and state",
        [((("kind", k), ("state", s)), float(g)) for k, s, _, g, _ in ops],
    )
    lines += gauge(
        "notary_chain_fees_wei",
        "Fees paid by mined chain operations (gas used x effective gas price), in wei",
        [((("kind", k), ("state", s)), float(f)) for k, s, _, _, f in ops],
    )
    lines += gauge(
        "notary_anchoring_lag_seconds",
        "Age of the oldest document not yet anchored for good",
        [((), anchoring_lag(store))],
    )
    return lines
