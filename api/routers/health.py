"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from sqlalchemy.exc import SQLAlchemyError
from starlette.responses import JSONResponse, PlainTextResponse

from api.deps import ServiceDep
from api.observe import anchoring_lag, stored_metrics
from api.station_metrics import awaiting_signature_gauges
from notary.chain.connection import rpc_guard
from notary.chain.errors import ChainError
from notary.pipeline.batcher import document_counts
from notary.pipeline.ledger import StoreLedger

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="Liveness")
def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get(
    "/readyz",
    summary="Readiness: database, chain, worker lag",
    responses={503: {"description": "The database is unreachable"}},
)
def readyz(service: ServiceDep) -> JSONResponse:
    """200 while the database answers (documents can be accepted even with the chain down);
    `degraded` when the chain does not answer or anchoring lags past its promise; what
    holds the anchoring worker up (e.g. the node's error it backs off from) in `worker`."""
    body: dict[str, Any] = {"status": "ok"}
    try:
        with service.store.read() as conn:
            counts = document_counts(conn)
        lag = anchoring_lag(service.store)
        body["database"] = "ok"
    except SQLAlchemyError as exc:
        return JSONResponse({"status": "down", "database": type(exc).__name__}, 503)
    try:
        with rpc_guard(service.w3):
            body["chain"] = {"status": "ok", "latestBlock": int(service.w3.eth.block_number)}
    except ChainError as exc:
        body["chain"] = {"status": "unreachable", "error": str(exc)}
        body["status"] = "degraded"
    promise = service.settings.batch_interval + service.settings.anchor_promise_margin
    body["worker"] = {
        "anchoringLagSeconds": round(lag, 3),
        "promiseSeconds": promise,
        "documents": counts,
    }
    held = StoreLedger(service.store).held_up()  # e.g. the node's error it backs off from
    if held is not None:
        body["worker"]["heldUpBy"] = {
            "operation": held.op_id,
            "kind": held.kind,
            "state": held.state,
            "since": held.since.isoformat(),
            "reason": held.reason,
        }
    if lag > promise:
        body["status"] = "degraded"
    return JSONResponse(body)


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=PlainTextResponse,
    responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}},
)
def metrics(service: ServiceDep) -> PlainTextResponse:
    """Accepted and anchored documents, pending age, batch sizes, gas, request latencies."""
    lines = service.metrics.render() + stored_metrics(service.store)
    lines += awaiting_signature_gauges(service.store)
    return PlainTextResponse(
        "\n".join(lines) + "\n", media_type="text/plain; version=0.0.4; charset=utf-8"
    )
