"""`GET /v1/chain`: which chain and registry anchors go to, and how far behind they are."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import PublicLimit, ServiceDep
from api.observe import anchoring_lag
from api.schemas.common import problems
from api.schemas.service import ChainOut
from notary.chain.connection import rpc_guard
from notary.chain.errors import ChainError

router = APIRouter(tags=["chain"])


@router.get(
    "/chain",
    response_model=ChainOut,
    summary="Chain, registry and anchoring lag (public)",
    dependencies=[PublicLimit],
    responses=problems(429, 503),
)
async def chain_info(service: ServiceDep) -> ChainOut:
    """Chain id (CAIP-2 and number), registry address, latest block and anchoring lag."""
    return await service.blocking(_chain_info, service)


def _chain_info(service: ServiceDep) -> ChainOut:
    lag = anchoring_lag(service.store)
    chain_id = latest = None
    try:
        chain_id = service.chain_id()
        with rpc_guard(service.w3):
            latest = int(service.w3.eth.block_number)
    except ChainError:
        pass  # reported as reachable: false
    return ChainOut(
        chain=f"eip155:{chain_id}" if chain_id is not None else "unknown",
        chainId=chain_id,
        contract=service.registry.address,
        reachable=latest is not None,
        latestBlock=latest,
        anchoringLagSeconds=round(lag, 3),
        confirmations=service.settings.confirmations,
    )
