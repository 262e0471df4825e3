"""The chain-operation outbox: enqueue with the change that needs it, drain in id order.

An operation is written in the same transaction as the state change that calls for it
(a sealed batch, a revocation), so neither can exist without the other. The anchoring
worker then walks each one queued → signed → broadcast → mined → final (or failed).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple, cast

from sqlalchemy import Connection, RowMapping, Table, func, select, update

from notary.store.models import CHAIN_OP_KINDS, CHAIN_OP_STATES, IS_UNFINISHED_OP, ChainOp

_T = cast(Table, ChainOp.__table__)
UNFINISHED = select(_T).where(IS_UNFINISHED_OP).order_by(_T.c.id)
"""`unfinished`'s query (through the partial index ix_chain_ops_unfinished)."""
# Columns the worker may set when it moves an operation along.
UPDATABLE = frozenset(
    {
        "nonce",
        "raw_tx",
        "tx_hash",
        "gas",
        "max_fee_per_gas",
        "max_priority_fee_per_gas",
        "last_error",
        "block_number",
        "block_hash",
        "block_timestamp",
        "gas_used",
        "effective_gas_price",
    }
)


def enqueue(
    conn: Connection,
    kind: str,
    payload: Mapping[str, Any],
    batch_id: int | None = None,
    now: dt.datetime | None = None,
) -> int:
    """Queue an operation in the caller's transaction; returns its id."""
    if kind not in CHAIN_OP_KINDS:
        raise ValueError(f"unknown chain operation kind {kind!r}")
    at = now or dt.datetime.now(dt.UTC)
    op_id: int = conn.execute(
        _T.insert()
        .values(
            kind=kind,
            batch_id=batch_id,
            payload=dict(payload),
            state="queued",
            created_at=at,
            updated_at=at,
        )
        .returning(_T.c.id)
    ).scalar_one()
    return op_id


def unfinished(conn: Connection) -> Sequence[RowMapping]:
    """Operations in queued/signed/broadcast/mined, oldest (lowest id) first."""
    return conn.execute(UNFINISHED).mappings().all()


def get(conn: Connection, op_id: int) -> RowMapping | None:
    """One operation's row, or None."""
    return conn.execute(select(_T).where(_T.c.id == op_id)).mappings().first()


def update_state(
    conn: Connection,
    op_id: int,
    state: str,
    *,
    expect: str | None = None,
    count_attempt: bool = False,
    now: dt.datetime | None = None,
    **fields: Any,
) -> bool:
    """Move an operation to `state` (only from `expect` if given); True if a row changed."""
    if state not in CHAIN_OP_STATES:
        raise ValueError(f"unknown chain operation state {state!r}")
    unknown = set(fields) - UPDATABLE
    if unknown:
        raise ValueError(f"not updatable on chain_ops: {sorted(unknown)}")
    query = update(_T).where(_T.c.id == op_id)
    if expect is not None:
        query = query.where(_T.c.state == expect)
    at = now or dt.datetime.now(dt.UTC)
    values: dict[str, Any] = {"state": state, "updated_at": at, **fields}
    if count_attempt:
        values["attempts"] = _T.c.attempts + 1
    return bool(conn.execute(query.values(values)).rowcount)


class OpTotals(NamedTuple):
    """Chain operations of one kind in one state: how many, their gas and fees (wei)."""

    kind: str
    state: str
    operations: int
    gas_used: int
    fees_wei: int


def totals(conn: Connection) -> list[OpTotals]:
    """Operations counted by kind and state, with the gas and fees of those mined."""
    rows = conn.execute(
        select(
            _T.c.kind,
            _T.c.state,
            func.count(),
            func.coalesce(func.sum(_T.c.gas_used), 0),
            func.coalesce(func.sum(_T.c.gas_used * _T.c.effective_gas_price), 0),
        ).group_by(_T.c.kind, _T.c.state)
    ).all()
    return [OpTotals(k, s, int(n), int(g), int(f)) for k, s, n, g, f in rows]
