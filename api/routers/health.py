"""Liveness and readiness probes."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import ServiceDep
from notary.chain.connection import rpc_guard
from notary.chain.errors import ChainError

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get("/readyz")
def readyz(service: ServiceDep) -> dict[str, object]:
    """Whether the chain answers; `degraded` when it does not."""
    try:
        with rpc_guard(service.w3):
            block = service.w3.eth.block_number
    except ChainError as exc:
        return {"status": "degraded", "chain": str(exc)}
    return {"status": "ok", "chain": {"latestBlock": int(block)}}
