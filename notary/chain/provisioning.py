"""Putting a registry on any network for the service, and checking it afterwards.

Only standard JSON-RPC is used (no node's own methods), so this works the same on a
public network, an L2, a permissioned chain or a developer's node. The registry has no
immutables, so the code a node holds at its address is the committed artifact's runtime
code byte for byte: that is how a deployment is checked, and how `status` tells which
EVM build a registry is.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from eth_account.signers.local import LocalAccount
from eth_utils.address import to_checksum_address
from web3 import Web3

from notary.chain.artifact import RegistryArtifact, artifact_targets, load_artifact
from notary.chain.connection import rpc_guard
from notary.chain.deploy import DEPLOY_GAS_MARGIN, Deployment, deploy_registry
from notary.chain.errors import ChainError
from notary.chain.evm import choose_target
from notary.chain.registry import ANCHORER_ROLE, DEFAULT_ADMIN_ROLE, REGISTRAR_ROLE, Registry
from notary.chain.sender import FeePolicy, TxSender

ANCHOR_GAS = 47_500
"""What one `anchor` transaction uses at most on every build (DESIGN's ceiling, tested)."""
ROLES = {"anchorer": ANCHORER_ROLE, "registrar": REGISTRAR_ROLE, "admin": DEFAULT_ADMIN_ROLE}
SERVICE_ROLES = ("anchorer", "registrar")
"""What the service's hot wallet is granted: anchor and revoke for issuers, register them."""


@dataclass(frozen=True)
class DeploymentRecord:
    """`deployment.json`: where the registry is, which build it is, and who runs it."""

    deployment: Deployment
    evm: str
    compiler: str
    admin: str
    service: str


@dataclass(frozen=True)
class WalletFunds:
    """A wallet's balance and how many anchors it pays for at the node's current fees."""

    address: str
    balance_wei: int
    base_fee_wei: int
    """Of the latest block (0 on a chain without EIP-1559)."""
    priority_fee_wei: int

    @property
    def gas_price_wei(self) -> int:
        """What a transaction pays per gas now: the base fee and the priority fee."""
        return self.base_fee_wei + self.priority_fee_wei

    @property
    def max_fee_wei(self) -> int:
        """What the sender offers per gas (FeePolicy's default), which a node wants covered."""
        return self.base_fee_wei * FeePolicy().base_fee_multiplier + self.priority_fee_wei

    @property
    def anchor_cost_wei(self) -> int:
        return ANCHOR_GAS * self.gas_price_wei

    @property
    def anchors(self) -> int | None:
        """About how many anchors the balance pays for; None when gas costs nothing."""
        return self.balance_wei // self.anchor_cost_wei if self.anchor_cost_wei else None


def deployed_builds(w3: Web3, address: str) -> tuple[str, ...]:
    """The EVM targets whose committed runtime code is at `address` (several when their
    builds are identical, e.g. cancun and osaka); none if no build is there."""
    with rpc_guard(w3):
        code = bytes(w3.eth.get_code(to_checksum_address(address)))
    return tuple(evm for evm in artifact_targets() if code == _runtime(load_artifact(evm)))


def deploy_for_service(
    w3: Web3, admin: LocalAccount, service: str, evm: str | None = None
) -> DeploymentRecord:
    """Deploy the build the node runs (or `evm`), with `admin` holding the admin role, and
    check the code now at the address against the committed artifact."""
    target = choose_target(w3, evm)
    artifact = load_artifact(target)
    _require_funds(w3, admin.address, artifact)
    deployment = deploy_registry(w3, admin, artifact=artifact)
    found = deployed_builds(w3, deployment.address)
    if target not in found:
        raise ChainError(
            f"the code at {deployment.address} is not the committed {target} build "
            f"(it matches {', '.join(found) or 'no build'}): do not use this deployment"
        )
    return DeploymentRecord(
        deployment, target, artifact.compiler_version, admin.address, to_checksum_address(service)
    )


def grant_roles(
    registry: Registry, admin: LocalAccount, account: str, roles: tuple[str, ...]
) -> list[str]:
    """Grant each of `roles` (names in ROLES) that `account` lacks; the names granted."""
    granted = []
    for name in roles:
        if not registry.has_role(ROLES[name], account):
            TxSender(registry, admin).transact(registry.grant_role_call(ROLES[name], account))
            granted.append(name)
    return granted


def roles_of(registry: Registry, account: str) -> list[str]:
    """The names of the roles `account` holds."""
    return [name for name, role in ROLES.items() if registry.has_role(role, account)]


def wallet_funds(w3: Web3, address: str, fees: FeePolicy | None = None) -> WalletFunds:
    """The balance of `address` and the gas price an anchor would pay now."""
    policy = fees or FeePolicy()
    with rpc_guard(w3):
        balance = int(w3.eth.get_balance(to_checksum_address(address)))
        base_fee = int(w3.eth.get_block("latest").get("baseFeePerGas", 0))
        priority = (
            policy.priority_fee_wei
            if policy.priority_fee_wei is not None
            else int(w3.eth.max_priority_fee)
        )
    return WalletFunds(to_checksum_address(address), balance, base_fee, priority)


def save_record(path: Path, record: DeploymentRecord) -> None:
    """Write `deployment.json` atomically: what `load_deployment` reads, and the build."""
    d = record.deployment
    content = {
        "chain": f"eip155:{d.chain_id}",
        "chainId": d.chain_id,
        "address": d.address,
        "blockNumber": d.block_number,
        "txHash": d.tx_hash,
        "evm": record.evm,
        "compiler": record.compiler,
        "admin": record.admin,
        "service": record.service,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(content, indent=2) + "\n", "utf-8")
    os.replace(partial, path)


def _require_funds(w3: Web3, address: str, artifact: RegistryArtifact) -> None:
    """ChainError naming the shortfall when `address` cannot pay for the deployment."""
    factory = w3.eth.contract(abi=artifact.abi, bytecode=artifact.bytecode)
    with rpc_guard(w3):
        gas = int(factory.constructor(address).estimate_gas({"from": address}))
    funds = wallet_funds(w3, address)
    # The node wants the whole gas limit at the offered fee covered before it takes it.
    needed = int(gas * DEPLOY_GAS_MARGIN) * funds.max_fee_wei
    if funds.balance_wei < needed:
        raise ChainError(
            f"the admin account {address} holds {_ether(funds.balance_wei)} and the deployment "
            f"needs about {_ether(needed)} ({gas:,} gas at the current fees): fund it first"
        )


def _runtime(artifact: RegistryArtifact) -> bytes:
    return bytes.fromhex(artifact.deployed_bytecode.removeprefix("0x"))


def _ether(wei: int) -> str:
    return f"{wei / 10**18:.6f} ether"
