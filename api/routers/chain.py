"""`GET /v1/chain`: which chain and registry this service anchors to."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from api.deps import ServiceDep
from notary.chain.connection import rpc_guard


class ChainInfo(BaseModel):
    """The chain and registry that anchors go to."""

    chain: str
    chainId: int
    contract: str
    latestBlock: int


router = APIRouter(tags=["chain"])


@router.get("/chain", response_model=ChainInfo)
def chain_info(service: ServiceDep) -> ChainInfo:
    """Chain id (CAIP-2 and number), registry address and the latest block."""
    w3 = service.registry.w3
    with rpc_guard(w3):
        chain_id = int(w3.eth.chain_id)
        latest = int(w3.eth.block_number)
    return ChainInfo(
        chain=f"eip155:{chain_id}",
        chainId=chain_id,
        contract=service.registry.address,
        latestBlock=latest,
    )
