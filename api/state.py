"""What the running service holds: settings, the chain connection and the registry."""

from __future__ import annotations

from dataclasses import dataclass

from web3 import Web3

from notary.chain.registry import Registry
from notary.config import Settings
from notary.runtime import open_registry


@dataclass
class ServiceState:
    """Long-lived objects shared by request handlers; built in the app's lifespan."""

    settings: Settings
    w3: Web3
    registry: Registry

    @classmethod
    def open(cls, settings: Settings) -> ServiceState:
        """Connect to the chain named by `settings` (no RPC call is made here)."""
        registry = open_registry(settings)
        return cls(settings, registry.w3, registry)

    def close(self) -> None:
        """Release connections."""
