"""`GET /v1/batches/{id}`: a sealed batch's root and anchor (public)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from api.deps import PublicLimit, ServiceDep
from api.problems import Problem
from api.schemas.common import problems
from api.schemas.service import BatchOut
from notary.pipeline.receipts import ANCHORED_OP_STATES
from notary.store.batches import batch_with_anchor

router = APIRouter(tags=["chain"])


@router.get(
    "/batches/{batch_id}",
    response_model=BatchOut,
    # Every required field is sent (anchoredAt null until final); the anchor's own fields
    # are set, and so sent, only once it is mined, as a document's `anchor` is.
    response_model_exclude_unset=True,
    summary="A batch (public)",
    dependencies=[PublicLimit],
    responses=problems(404, 422, 429, 503),
)
def get_batch(batch_id: Annotated[int, Path(ge=1, le=2**63 - 1)], service: ServiceDep) -> BatchOut:
    """Root, size and state of a sealed batch, and its anchor transaction once mined."""
    with service.store.read() as conn:
        row = batch_with_anchor(conn, batch_id)
    if row is None or row["root"] is None:
        raise Problem(404, "not-found", f"no sealed batch {batch_id}", field="batch_id")
    out = BatchOut(
        id=row["id"],
        root="0x" + row["root"].hex(),
        leafCount=row["leaf_count"],
        state=row["state"],
        sealedAt=row["sealed_at"],
        anchoredAt=row["anchored_at"],
    )
    if row["op_state"] in ANCHORED_OP_STATES and row["block_hash"] is not None:
        out.txHash = "0x" + row["tx_hash"].hex()
        out.blockNumber = row["block_number"]
        out.blockHash = "0x" + row["block_hash"].hex()
        out.timestamp = row["block_timestamp"]
    return out
