"""Batches as readers see them: one with its anchor, the oldest not yet final, their sizes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import NamedTuple, cast

from sqlalchemy import Connection, RowMapping, Table, and_, case, func, select

from notary.store.models import IS_ANCHOR_OP, Batch, ChainOp

_BATCHES = cast(Table, Batch.__table__)
_OPS = cast(Table, ChainOp.__table__)
UNFINAL_BATCH_STATES = ("sealed", "anchoring", "anchored")
"""A batch in these states is sealed, and its anchor not yet final."""
_WITH_ANCHOR = select(
    _BATCHES,
    _OPS.c.state.label("op_state"),
    _OPS.c.tx_hash,
    _OPS.c.block_number,
    _OPS.c.block_hash,
    _OPS.c.block_timestamp,
).select_from(_BATCHES.outerjoin(_OPS, and_(_OPS.c.batch_id == _BATCHES.c.id, IS_ANCHOR_OP)))


class BatchSizes(NamedTuple):
    """Sealed batches counted by size: at most each bound, all of them, and their documents."""

    at_most: list[int]
    batches: int
    documents: int


def batch_with_anchor(conn: Connection, batch_id: int) -> RowMapping | None:
    """The batch's row with its anchor operation's `op_state`, `tx_hash`, `block_number`,
    `block_hash` and `block_timestamp` (None when no operation yet); None if no batch."""
    return conn.execute(_WITH_ANCHOR.where(_BATCHES.c.id == batch_id)).mappings().first()


def oldest_unfinal_seal(conn: Connection) -> dt.datetime | None:
    """When the oldest batch whose anchor is not yet final was sealed (None: none is)."""
    return cast(
        "dt.datetime | None",
        conn.execute(
            select(func.min(_BATCHES.c.created_at)).where(
                _BATCHES.c.state.in_(UNFINAL_BATCH_STATES)
            )
        ).scalar(),
    )


def batch_sizes(conn: Connection, bounds: Sequence[int]) -> BatchSizes:
    """How many sealed batches hold at most each of `bounds` documents, in all, and the
    documents they hold."""
    row = conn.execute(
        select(
            *[func.sum(case((_BATCHES.c.leaf_count <= b, 1), else_=0)) for b in bounds],
            func.count(),
            func.coalesce(func.sum(_BATCHES.c.leaf_count), 0),
        ).where(_BATCHES.c.root.is_not(None))
    ).one()
    return BatchSizes([int(n or 0) for n in row[: len(bounds)]], int(row[-2]), int(row[-1]))
