"""What each kind of chain operation does, and how to tell it is already done on chain.

Every operation is idempotent by checking its effect rather than trusting our own
records: a root that the registry already holds is never anchored again, leaves that
are already revoked are left out of the next revocation, and so on. That is what lets
recovery after a crash at any point converge instead of double-spending.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from web3 import Web3
from web3.contract.contract import ContractFunction

from notary.chain.connection import rpc_guard
from notary.chain.registry import Registry

ANCHOR, REVOKE, REGISTER_ISSUER, DEACTIVATE_ISSUER = (
    "anchor",
    "revoke",
    "register_issuer",
    "deactivate_issuer",
)
ADD_SIGNER, REMOVE_SIGNER = "add_signer", "remove_signer"
"""An issuer's root key's relayed change of its signing keys (`addSignerBySig`, …)."""


class Effect(Protocol):
    """One kind of operation: the call to make, and whether its effect already holds."""

    def call(self, registry: Registry, payload: Mapping[str, Any]) -> ContractFunction | None:
        """The call still needed, or None when the chain already shows the effect."""

    def found_block(self, registry: Registry, payload: Mapping[str, Any]) -> int | None:
        """The block in which the effect was recorded when the chain says so, else None."""

    def found_tx(self, registry: Registry, payload: Mapping[str, Any], block: int) -> bytes | None:
        """The transaction that made the effect in `block`, when the chain can tell."""


def _b32(value: str) -> bytes:
    return bytes.fromhex(value.removeprefix("0x"))


def _head(registry: Registry) -> int:
    """The node's latest block (a ChainError, like every read, when it cannot say)."""
    with rpc_guard(registry.w3, "eth_blockNumber"):
        return int(registry.w3.eth.block_number)


class AnchorEffect:
    """`anchor(root, leafCount)`; done when `anchorOf(root)` has a timestamp."""

    def call(self, registry: Registry, payload: Mapping[str, Any]) -> ContractFunction | None:
        if self.found_block(registry, payload) is not None:
            return None
        return registry.anchor_call(_b32(payload["root"]), int(payload["leafCount"]))

    def found_block(self, registry: Registry, payload: Mapping[str, Any]) -> int | None:
        record = registry.anchor_of(_b32(payload["root"]))
        return record.block_number if record.anchored else None

    def found_tx(self, registry: Registry, payload: Mapping[str, Any], block: int) -> bytes | None:
        return registry.anchoring_tx(_b32(payload["root"]), block)


class _NoTxLookup:
    """Effects whose transaction is only known from our own records."""

    def found_tx(self, registry: Registry, payload: Mapping[str, Any], block: int) -> bytes | None:
        return None


class RevokeEffect(_NoTxLookup):
    """`revokeFor(issuer, leaves, reason)` for the leaves the issuer has not revoked yet; with
    the issuer's signature in the payload, `revokeBySig` of exactly the leaves it signed."""

    def _remaining(self, registry: Registry, payload: Mapping[str, Any]) -> Sequence[bytes]:
        leaves = [_b32(x) for x in payload["leaves"]]
        return [x for x in leaves if not registry.revocation_of(payload["issuer"], x).revoked]

    def call(self, registry: Registry, payload: Mapping[str, Any]) -> ContractFunction | None:
        remaining = self._remaining(registry, payload)
        if not remaining:
            return None
        if "signature" in payload:
            # The signature covers the whole list: a leaf revoked meanwhile makes the chain
            # refuse it (AlreadyRevoked), and the operation fails saying so.
            return registry.revoke_by_sig_call(
                payload["issuer"],
                [_b32(x) for x in payload["leaves"]],
                int(payload["reason"]),
                int(payload["nonce"]),
                int(payload["deadline"]),
                bytes.fromhex(str(payload["signature"]).removeprefix("0x")),
            )
        return registry.revoke_for_call(payload["issuer"], remaining, int(payload["reason"]))

    def found_block(self, registry: Registry, payload: Mapping[str, Any]) -> int | None:
        # Revocations record a time, not a block: report the current head, which only
        # makes the confirmation count start later (never earlier) than the truth.
        if self._remaining(registry, payload):
            return None
        return _head(registry)


class RegisterIssuerEffect(_NoTxLookup):
    """`registerIssuer(address, name)`; done when the registry knows the issuer."""

    def call(self, registry: Registry, payload: Mapping[str, Any]) -> ContractFunction | None:
        if registry.issuer_of(payload["address"]).registered:
            return None
        return registry.register_issuer_call(payload["address"], payload["name"])

    def found_block(self, registry: Registry, payload: Mapping[str, Any]) -> int | None:
        if not registry.issuer_of(payload["address"]).registered:
            return None
        return _head(registry)


class DeactivateIssuerEffect(_NoTxLookup):
    """`deactivateIssuer(address)`; done when the registry shows a deactivation time."""

    def call(self, registry: Registry, payload: Mapping[str, Any]) -> ContractFunction | None:
        if registry.issuer_of(payload["address"]).deactivated_at:
            return None
        return registry.deactivate_issuer_call(payload["address"])

    def found_block(self, registry: Registry, payload: Mapping[str, Any]) -> int | None:
        if not registry.issuer_of(payload["address"]).deactivated_at:
            return None
        return _head(registry)


class SignerChangeEffect:
    """`addSignerBySig` (or `removeSignerBySig`) of the payload's key for its issuer, with the
    root key's signature in the payload; done when the registry records the key added (or
    removed), in the block it records: a change sent before a crash is never sent again.

    The registry checks the signature, nonce and deadline: a payload it refuses fails at
    the gas estimate, before anything is sent.
    """

    def __init__(self, *, add: bool) -> None:
        self.add = add
        event = "SignerAdded(address,address)" if add else "SignerRemoved(address,address)"
        self._topic = Web3.keccak(text=event)

    def call(self, registry: Registry, payload: Mapping[str, Any]) -> ContractFunction | None:
        if self.found_block(registry, payload) is not None:
            return None
        relayed = (
            registry.add_signer_by_sig_call if self.add else registry.remove_signer_by_sig_call
        )
        return relayed(
            payload["issuer"],
            payload["key"],
            int(payload["nonce"]),
            int(payload["deadline"]),
            bytes.fromhex(str(payload["signature"]).removeprefix("0x")),
        )

    def found_block(self, registry: Registry, payload: Mapping[str, Any]) -> int | None:
        record = registry.signer_of(payload["issuer"], payload["key"])
        block = record.added_block if self.add else record.removed_block
        return block or None

    def found_tx(self, registry: Registry, payload: Mapping[str, Any], block: int) -> bytes | None:
        topics = [
            Web3.to_hex(self._topic),
            *(_address_topic(payload[name]) for name in ("issuer", "key")),
        ]
        filter_params: Any = {
            "address": registry.address,
            "fromBlock": block,
            "toBlock": block,
            "topics": topics,
        }
        with rpc_guard(registry.w3):
            logs = registry.w3.eth.get_logs(filter_params)
        return bytes(logs[0]["transactionHash"]) if logs else None


def _address_topic(address: str) -> str:
    """An indexed address as its log topic: 32 bytes, the address right-aligned."""
    return "0x" + "00" * 12 + address.removeprefix("0x").lower()


EFFECTS: Mapping[str, Effect] = {
    ANCHOR: AnchorEffect(),
    REVOKE: RevokeEffect(),
    REGISTER_ISSUER: RegisterIssuerEffect(),
    DEACTIVATE_ISSUER: DeactivateIssuerEffect(),
    ADD_SIGNER: SignerChangeEffect(add=True),
    REMOVE_SIGNER: SignerChangeEffect(add=False),
}


@dataclass(frozen=True)
class Inclusion:
    """Where a chain operation landed."""

    block_number: int
    block_hash: bytes
    tx_hash: bytes | None
    timestamp: int
    gas_used: int | None = None
    """From the transaction's receipt (None when the transaction is not known)."""
    effective_gas_price: int | None = None
