"""The composition root: turns Settings into the live objects a process needs.

The API, the worker and the CLI all build their registry, sender and store here, so
there is one place that decides which key signs and which contract is used.
"""

from __future__ import annotations

from notary.chain.deploy import load_deployment
from notary.chain.endpoints import connect_endpoints, observer_urls
from notary.chain.errors import ChainError
from notary.chain.registry import Registry
from notary.chain.sender import GWEI, FeePolicy, TxSender
from notary.settings.config import Settings
from notary.settings.keys import anchor_account


def registry_address(settings: Settings) -> str:
    """NOTARY_CONTRACT_ADDRESS, else the address in the data dir's deployment file."""
    if settings.contract_address:
        return settings.contract_address
    deployment = load_deployment(settings.deployment_file)
    if deployment is None:
        raise ChainError(
            f"no registry configured: set NOTARY_CONTRACT_ADDRESS, or run `notary chain up` "
            f"to deploy one locally (looked for {settings.deployment_file})"
        )
    return deployment.address


def open_registry(settings: Settings) -> Registry:
    """The registry named by `settings` over its endpoints, in order (no RPC call yet)."""
    w3 = connect_endpoints(settings.rpc_endpoints, timeout_s=settings.rpc_timeout)
    return Registry(w3, registry_address(settings))


def open_sender(settings: Settings, registry: Registry | None = None) -> TxSender:
    """A sender signing with the anchoring key, under the configured fee cap.

    With several endpoints it sends through the first and checks inclusion through the
    others (see `notary.chain.endpoints`).
    """
    fees = FeePolicy(max_fee_cap_wei=int(settings.max_fee_gwei * GWEI))
    registry = registry or open_registry(settings)
    urls = settings.rpc_endpoints
    observer = (
        connect_endpoints(observer_urls(urls), timeout_s=settings.rpc_timeout)
        if len(urls) > 1
        else None
    )
    return TxSender(registry, anchor_account(settings), fees, observer=observer)
