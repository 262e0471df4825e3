"""The worker's ledger on the database: each state change of a chain operation and the
changes it implies for batches, documents, revocations and issuers, in one transaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Connection, RowMapping, Table, select, update
from sqlalchemy.exc import DBAPIError

from notary.chain.sender import SignedTx
from notary.pipeline import issuers
from notary.pipeline.effects import ANCHOR, DEACTIVATE_ISSUER, REGISTER_ISSUER, REVOKE, Inclusion
from notary.pipeline.operations import BROADCAST, FAILED, FINAL, MINED, QUEUED, SIGNED, OpSnapshot
from notary.store import chain_ops
from notary.store.engine import Store
from notary.store.issuers import mark_onchain
from notary.store.models import Batch, ChainOp, Revocation

_BATCH_STATE = {
    QUEUED: "sealed",
    SIGNED: "anchoring",
    BROADCAST: "anchoring",
    MINED: "anchored",
    FINAL: "final",
    FAILED: "sealed",
}
_REVOCATION_STATE = {
    QUEUED: "requested",
    SIGNED: "submitted",
    BROADCAST: "submitted",
    MINED: "submitted",
    FINAL: "revoked",
    FAILED: "failed",
}


@dataclass(frozen=True)
class HeldUp:
    """The operation the worker is held up on, and why (for /readyz)."""

    op_id: int
    kind: str
    state: str
    since: dt.datetime
    """When the operation last changed state."""
    reason: str


class StoreLedger:
    """`OpsLedger` over the `chain_ops` table and the rows each operation affects."""

    unavailable: tuple[type[Exception], ...] = (DBAPIError,)
    """The database failed (connections terminated, a failover): the caller steps down."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def held_up(self) -> HeldUp | None:
        """The oldest unfinished operation if it carries a reason it waits (a node's
        error the worker backs off from, a dropped transaction), else None."""
        with self.store.read() as conn:
            op = conn.execute(chain_ops.UNFINISHED.limit(1)).mappings().first()
        if op is None or op["last_error"] is None:
            return None
        return HeldUp(op["id"], op["kind"], op["state"], op["updated_at"], op["last_error"])

    def in_flight_and_mined(self) -> Sequence[OpSnapshot]:
        with self.store.read() as conn:
            return [_snapshot(row) for row in chain_ops.unfinished(conn)]

    def final_since(self, block_number: int) -> Sequence[OpSnapshot]:
        with self.store.read() as conn:
            rows = (
                conn.execute(
                    select(ChainOp.__table__)
                    .where(ChainOp.state == FINAL, ChainOp.block_number >= block_number)
                    .order_by(ChainOp.id)
                )
                .mappings()
                .all()
            )
        return [_snapshot(row) for row in rows]

    def record_signed(self, op_id: int, signed: SignedTx) -> None:
        self._move(
            op_id,
            SIGNED,
            count_attempt=True,
            nonce=signed.nonce,
            raw_tx=signed.raw,
            tx_hash=signed.tx_hash,
            gas=signed.gas,
            max_fee_per_gas=signed.max_fee_per_gas,
            max_priority_fee_per_gas=signed.max_priority_fee_per_gas,
        )

    def record_broadcast(self, op_id: int) -> None:
        self._move(op_id, BROADCAST)

    def record_mined(self, op_id: int, inclusion: Inclusion) -> None:
        self._move(op_id, MINED, inclusion=inclusion, **_inclusion_columns(inclusion))

    def record_final(self, op_id: int, inclusion: Inclusion) -> None:
        self._move(op_id, FINAL, inclusion=inclusion, **_inclusion_columns(inclusion))

    def record_dropped(self, op_id: int, state: str, reason: str) -> None:
        cleared: dict[str, Any] = {
            "block_number": None,
            "block_hash": None,
            "block_timestamp": None,
            "gas_used": None,
            "effective_gas_price": None,
        }
        if state == QUEUED:  # the signed transaction is no use any more: sign afresh
            cleared.update(raw_tx=None, tx_hash=None, nonce=None)
        self._move(op_id, state, last_error=reason[:1000], **cleared)

    def record_failed(self, op_id: int, reason: str) -> None:
        self._move(op_id, FAILED, last_error=reason[:1000])

    def record_trouble(self, op_id: int, reason: str) -> None:
        # Only `last_error`: the state and its time stay (the worker times a stuck
        # transaction from `updated_at`).
        self._set_trouble(op_id, reason[:1000], None)

    def clear_trouble(self, op_id: int, reason: str) -> None:
        self._set_trouble(op_id, None, reason[:1000])  # a reason written since stays

    def _set_trouble(self, op_id: int, reason: str | None, only_if: str | None) -> None:
        ops = cast(Table, ChainOp.__table__)
        match = ops.c.id == op_id
        if only_if is not None:
            match = match & (ops.c.last_error == only_if)
        with self.store.write() as conn:
            conn.execute(update(ops).where(match).values(last_error=reason))

    def _move(
        self,
        op_id: int,
        state: str,
        *,
        inclusion: Inclusion | None = None,
        count_attempt: bool = False,
        **fields: Any,
    ) -> None:
        with self.store.write() as conn:
            chain_ops.update_state(conn, op_id, state, count_attempt=count_attempt, **fields)
            op = chain_ops.get(conn, op_id)
            assert op is not None
            if op["kind"] == ANCHOR:
                _update_batch(conn, op["batch_id"], state, inclusion)
            elif op["kind"] == REVOKE:
                conn.execute(
                    update(Revocation)
                    .where(Revocation.chain_op_id == op_id)
                    .values(state=_REVOCATION_STATE[state])
                )
            elif op["kind"] in (REGISTER_ISSUER, DEACTIVATE_ISSUER):
                _update_issuer(conn, op["kind"], op["payload"], state, op["last_error"])


def _update_batch(conn: Connection, batch_id: int, state: str, inclusion: Inclusion | None) -> None:
    """A batch follows its anchor; its documents read as anchored while it is final.

    One row whatever the batch size: documents derive "anchored" from the batch (see
    `notary.store.records`), so finalising or un-finalising never touches them.
    """
    values: dict[str, Any] = {"state": _BATCH_STATE[state]}
    if state == FINAL and inclusion is not None:
        values["anchored_at"] = dt.datetime.fromtimestamp(inclusion.timestamp, dt.UTC)
    elif state != MINED:  # sent again after a reorg: no longer anchored
        values["anchored_at"] = None
    conn.execute(update(Batch).where(Batch.id == batch_id).values(**values))


def _update_issuer(
    conn: Connection, kind: str, payload: Mapping[str, Any], state: str, error: str | None
) -> None:
    """The issuer follows its operation; a refused registration is `failed`, with why."""
    registering = kind == REGISTER_ISSUER
    if state == FINAL:
        onchain = "registered" if registering else "deactivated"
    elif state == FAILED:
        onchain = issuers.FAILED if registering else "registered"
    else:
        onchain = "registering" if registering else "deactivating"
    failed = registering and state == FAILED
    mark_onchain(conn, payload["address"], onchain, error if failed else None)


def _inclusion_columns(inclusion: Inclusion) -> dict[str, Any]:
    columns: dict[str, Any] = {
        "block_number": inclusion.block_number,
        "block_hash": inclusion.block_hash,
        "block_timestamp": inclusion.timestamp,
        "gas_used": inclusion.gas_used,
        "effective_gas_price": inclusion.effective_gas_price,
    }
    if inclusion.tx_hash is not None:
        columns["tx_hash"] = inclusion.tx_hash
    return columns


def _snapshot(op: RowMapping) -> OpSnapshot:
    return OpSnapshot(
        id=op["id"],
        kind=op["kind"],
        payload=op["payload"],
        state=op["state"],
        nonce=op["nonce"],
        raw_tx=op["raw_tx"],
        tx_hash=op["tx_hash"],
        gas=op["gas"],
        max_fee_per_gas=op["max_fee_per_gas"],
        max_priority_fee_per_gas=op["max_priority_fee_per_gas"],
        updated_at=op["updated_at"].timestamp(),
        block_number=op["block_number"],
        block_hash=op["block_hash"],
    )
