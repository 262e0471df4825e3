"""Figures read from the database for /v1/chain, /readyz and /metrics."""

from __future__ import annotations

import datetime as dt

from api.metrics import gauge
from notary.pipeline.batcher import document_counts, oldest_pending_at
from notary.store.batches import batch_sizes, oldest_unfinal_seal
from notary.store.chain_ops import totals
from notary.store.engine import Store

BATCH_SIZE_BUCKETS = (1, 10, 100, 1_000, 10_000, 100_000, 1_000_000)


def anchoring_lag(store: Store, now: dt.datetime | None = None) -> float:
    """Seconds the oldest not-yet-final document has waited (0 when none waits).

    Pending documents by acceptance time (a partial index); sealed ones by their batch's
    seal time, which reads the small batches table instead of scanning every document.
    """
    at = now or dt.datetime.now(dt.UTC)
    with store.read() as conn:
        pending = oldest_pending_at(conn)
        sealed = oldest_unfinal_seal(conn)
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
        sizes = batch_sizes(conn, BATCH_SIZE_BUCKETS)
        ops = totals(conn)
    lines = gauge(
        "notary_documents",
        "Stored documents by status",
        [((("status", s),), float(n)) for s, n in counts.items()],
    )
    lines += [
        "# HELP notary_batch_size_documents Documents per sealed batch",
        "# TYPE notary_batch_size_documents histogram",
    ]
    for bound, count in zip(BATCH_SIZE_BUCKETS, sizes.at_most, strict=True):
        lines.append(f'notary_batch_size_documents_bucket{{le="{bound}"}} {count}')
    lines += [
        f'notary_batch_size_documents_bucket{{le="+Inf"}} {sizes.batches}',
        f"notary_batch_size_documents_count {sizes.batches}",
        f"notary_batch_size_documents_sum {sizes.documents}",
    ]
    lines += gauge(
        "notary_chain_operations",
        "Chain operations by kind and state",
        [((("kind", o.kind), ("state", o.state)), float(o.operations)) for o in ops],
    )
    lines += gauge(
        "notary_chain_gas_used",
        "Gas used by mined chain operations (from their receipts), by kind and state",
        [((("kind", o.kind), ("state", o.state)), float(o.gas_used)) for o in ops],
    )
    lines += gauge(
        "notary_chain_fees_wei",
        "Fees paid by mined chain operations (gas used x effective gas price), in wei",
        [((("kind", o.kind), ("state", o.state)), float(o.fees_wei)) for o in ops],
    )
    lines += gauge(
        "notary_anchoring_lag_seconds",
        "Age of the oldest document not yet anchored for good",
        [((), anchoring_lag(store))],
    )
    return lines
