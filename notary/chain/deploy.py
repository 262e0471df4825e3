"""Deploying a NotaryRegistry and giving the service's hot wallet the anchorer role."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from eth_account.signers.local import LocalAccount
from web3 import Web3

from notary.chain.artifact import RegistryArtifact, load_artifact
from notary.chain.connection import rpc_guard
from notary.chain.errors import ChainError, TransactionFailed
from notary.chain.registry import ANCHORER_ROLE, REGISTRAR_ROLE, Registry
from notary.chain.sender import FeePolicy, TxSender
from notary.util.private_files import private_dir

DEPLOY_GAS_MARGIN = 1.2


@dataclass(frozen=True)
class Deployment:
    """Where a registry lives: enough for the service and for independent verifiers."""

    chain_id: int
    address: str
    block_number: int
    tx_hash: str


def deploy_registry(
    w3: Web3,
    deployer: LocalAccount,
    *,
    admin: str | None = None,
    artifact: RegistryArtifact | None = None,
    fees: FeePolicy | None = None,
) -> Deployment:
    """Deploy NotaryRegistry with `admin` (default: the deployer) holding the admin role."""
    artifact = artifact or load_artifact()
    factory = w3.eth.contract(abi=artifact.abi, bytecode=artifact.bytecode)
    constructor = factory.constructor(admin or deployer.address)
    policy = fees or FeePolicy()
    with rpc_guard(w3):
        chain_id = int(w3.eth.chain_id)
        gas = int(constructor.estimate_gas({"from": deployer.address}) * DEPLOY_GAS_MARGIN)
        base_fee = int(w3.eth.get_block("latest").get("baseFeePerGas", 0))
        priority = (
            policy.priority_fee_wei
            if policy.priority_fee_wei is not None
            else int(w3.eth.max_priority_fee)
        )
        tx = constructor.build_transaction(
            {
                "type": 2,
                "chainId": chain_id,
                "from": deployer.address,
                "nonce": w3.eth.get_transaction_count(deployer.address, "pending"),
                "gas": gas,
                "maxFeePerGas": min(
                    base_fee * policy.base_fee_multiplier + priority, policy.max_fee_cap_wei
                ),
                "maxPriorityFeePerGas": priority,
            }
        )
        signed = deployer.sign_transaction(tx)
        tx_hash = w3.eth.send_raw_transaction(signed.raw_transaction)
        receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=60, poll_latency=0.05)
    if receipt["status"] != 1 or not receipt.get("contractAddress"):
        raise TransactionFailed(f"deployment transaction 0x{bytes(tx_hash).hex()} failed")
    return Deployment(
        chain_id,
        str(receipt["contractAddress"]),
        int(receipt["blockNumber"]),
        "0x" + bytes(tx_hash).hex(),
    )


def grant_service_roles(registry: Registry, admin: LocalAccount, service: str) -> None:
    """Let the service's wallet anchor, revoke on issuers' behalf and register issuers.

    Idempotent: roles already held are not granted again.
    """
    for role in (ANCHORER_ROLE, REGISTRAR_ROLE):
        if not registry.has_role(role, service):
            TxSender(registry, admin).transact(registry.grant_role_call(role, service))


def save_deployment(path: Path, deployment: Deployment) -> None:
    """Write the deployment file the service and verifiers read."""
    private_dir(path.parent)
    record = {
        "chain": f"eip155:{deployment.chain_id}",
        "chainId": deployment.chain_id,
        "address": deployment.address,
        "blockNumber": deployment.block_number,
        "txHash": deployment.tx_hash,
    }
    path.write_text(json.dumps(record, indent=2) + "\n")


def load_deployment(path: Path) -> Deployment | None:
    """The deployment recorded in `path`, or None if there is none."""
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text())
        return Deployment(
            int(data["chainId"]),
            str(data["address"]),
            int(data["blockNumber"]),
            str(data["txHash"]),
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise ChainError(
            f"deployment file {path} is malformed ({type(exc).__name__}); "
            "delete it and run `notary chain up` again"
        ) from None
