"""Signing and sending transactions from a local key: EIP-1559 fees under a cap,
explicit nonces, and a raw transaction that can be stored before it is broadcast.

The cap is a promise to the operator: no transaction, and no replacement, offers more
than `max_fee_cap_wei` per gas. While the base fee is above what the cap can pay, the
sender says so (`fees_blocked`) and the worker waits rather than send a transaction that
cannot be mined (nodes refuse it: "max fee per gas less than block base fee").
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, cast

from eth_account.signers.local import LocalAccount
from hexbytes import HexBytes
from web3 import Web3
from web3.contract.contract import ContractFunction
from web3.exceptions import TimeExhausted, TransactionNotFound, Web3RPCError
from web3.types import Nonce, TxParams, TxReceipt, Wei

from notary.chain.connection import chain_failure, endpoint_of, rpc_guard
from notary.chain.errors import RateLimited, TransactionFailed
from notary.chain.registry import Registry

GWEI = 10**9
# A replacement must raise both fees by at least 10% (geth's and anvil's rule); 25% clears it.
REPLACEMENT_BUMP_NUM, REPLACEMENT_BUMP_DEN = 5, 4
GAS_MARGIN_NUM, GAS_MARGIN_DEN = 6, 5


@dataclass(frozen=True)
class FeePolicy:
    """How much the service is willing to pay per gas."""

    max_fee_cap_wei: int = 200 * GWEI
    priority_fee_wei: int | None = None  # None: ask the node (eth_maxPriorityFeePerGas)
    base_fee_multiplier: int = 2


@dataclass(frozen=True)
class SignedTx:
    """A signed transaction, kept so it can be stored and rebroadcast byte-for-byte."""

    raw: bytes
    tx_hash: bytes
    nonce: int
    gas: int
    max_fee_per_gas: int
    max_priority_fee_per_gas: int


class TxSender:
    """Signs calls with a local account and sends them; never uses node-side keys."""

    def __init__(
        self,
        registry: Registry,
        account: LocalAccount,
        fees: FeePolicy | None = None,
        observer: Web3 | None = None,
    ):
        self.registry = registry
        self.w3: Web3 = registry.w3
        self.observer: Web3 = observer or registry.w3
        """Where inclusion is checked (receipts, mined nonce, blocks); by default `w3`."""
        self.account = account
        self.fees = fees or FeePolicy()
        self._chain_id: int | None = None

    @property
    def address(self) -> str:
        return str(self.account.address)

    def chain_id(self) -> int:
        """The chain id, asked once."""
        if self._chain_id is None:
            with rpc_guard(self.w3):
                self._chain_id = int(self.w3.eth.chain_id)
        return self._chain_id

    def pending_nonce(self) -> int:
        """The next nonce counting transactions in the node's pool."""
        with rpc_guard(self.w3):
            return int(self.w3.eth.get_transaction_count(self.account.address, "pending"))

    def mined_nonce(self) -> int:
        """The next nonce counting only mined transactions (as the observer sees it)."""
        with rpc_guard(self.observer):
            return int(self.observer.eth.get_transaction_count(self.account.address, "latest"))

    def base_fee(self) -> int:
        """The latest block's base fee per gas (0 before London)."""
        with rpc_guard(self.w3):
            return int(self.w3.eth.get_block("latest").get("baseFeePerGas", 0))

    def current_fees(self) -> tuple[int, int]:
        """(maxFeePerGas, maxPriorityFeePerGas) for now, the max fee capped by policy."""
        base_fee = self.base_fee()
        priority = self.fees.priority_fee_wei
        if priority is None:
            with rpc_guard(self.w3):
                priority = int(self.w3.eth.max_priority_fee)
        max_fee = min(
            base_fee * self.fees.base_fee_multiplier + priority, self.fees.max_fee_cap_wei
        )
        return max_fee, min(priority, max_fee)

    def fees_blocked(self) -> str | None:
        """Why no transaction under the cap can be mined now (base fee above it), else None."""
        base_fee = self.base_fee()
        if base_fee < self.fees.max_fee_cap_wei:
            return None
        return (
            f"base fee {base_fee / GWEI:.2f} gwei is above the cap of "
            f"{self.fees.max_fee_cap_wei / GWEI:.2f} gwei (NOTARY_MAX_FEE_GWEI)"
        )

    def underpriced(self, max_fee_per_gas: int) -> bool:
        """Whether a transaction offering `max_fee_per_gas` cannot be in the next block."""
        return max_fee_per_gas < self.base_fee()

    def estimate_gas(self, call: ContractFunction) -> int:
        """Gas for `call` with a safety margin; a revert raises ContractReverted by name."""
        with rpc_guard(self.w3), self.registry.reverts_named():
            estimate = int(call.estimate_gas({"from": self.account.address}))
        return estimate * GAS_MARGIN_NUM // GAS_MARGIN_DEN

    def sign(
        self,
        call: ContractFunction,
        *,
        nonce: int,
        gas: int,
        fees: tuple[int, int] | None = None,
    ) -> SignedTx:
        """Sign `call` locally with an explicit nonce and EIP-1559 fees."""
        max_fee, priority = fees or self.current_fees()
        # Every field is given, so building the transaction asks the node nothing.
        params: TxParams = {
            "type": 2,
            "chainId": self.chain_id(),
            "from": self.account.address,
            "nonce": Nonce(nonce),
            "gas": gas,
            "maxFeePerGas": Wei(max_fee),
            "maxPriorityFeePerGas": Wei(priority),
            "value": Wei(0),
        }
        tx = call.build_transaction(params)
        signed = self.account.sign_transaction(cast(dict[str, Any], tx))
        return SignedTx(
            bytes(signed.raw_transaction), bytes(signed.hash), nonce, gas, max_fee, priority
        )

    def replacement(self, call: ContractFunction, previous: SignedTx) -> SignedTx | None:
        """The same call at the same nonce with fees high enough to replace `previous`;
        None when that would offer more than the cap, or still not be minable now."""
        max_fee, priority = self.current_fees()
        bumped_max = previous.max_fee_per_gas * REPLACEMENT_BUMP_NUM // REPLACEMENT_BUMP_DEN + 1
        bumped_tip = (
            previous.max_priority_fee_per_gas * REPLACEMENT_BUMP_NUM // REPLACEMENT_BUMP_DEN + 1
        )
        fees = (max(max_fee, bumped_max), max(priority, bumped_tip))
        if fees[0] > self.fees.max_fee_cap_wei or fees[1] > fees[0] or self.underpriced(fees[0]):
            return None
        return self.sign(call, nonce=previous.nonce, gas=previous.gas, fees=fees)

    def broadcast(self, raw: bytes) -> bytes:
        """Send a signed raw transaction unless the node already holds it.

        Whether it does is asked by hash, before sending and after a refusal, never read
        from the refusal's message: nodes word a resend each their own way ("already
        known", "Known transaction: 0x…", "transaction underpriced", "nonce too low" once
        mined). Asking first also spares a node a resend it may mishandle: Ganache 7 can
        take a pending transaction sent again into its pool a second time and mine both.
        """
        tx_hash = bytes(Web3.keccak(raw))
        if self.node_has(tx_hash):
            return tx_hash
        with rpc_guard(self.w3, "eth_sendRawTransaction"):
            try:
                self.w3.eth.send_raw_transaction(HexBytes(raw))
            except Web3RPCError as exc:
                if self.node_has(tx_hash):  # it arrived meanwhile, or the node says so oddly
                    return tx_hash
                failure = chain_failure(endpoint_of(self.w3), exc, "eth_sendRawTransaction")
                if isinstance(failure, RateLimited):
                    # Not a refusal of this transaction: the worker backs off and sends
                    # the same signed bytes again, rather than signing a replacement.
                    raise failure from exc
                raise TransactionFailed(f"node refused the transaction: {exc}") from exc
        return tx_hash

    def node_has(self, tx_hash: bytes) -> bool:
        """Whether the node we send to holds the transaction, in its pool or mined."""
        with rpc_guard(self.w3):
            try:
                self.w3.eth.get_transaction(HexBytes(tx_hash))
            except TransactionNotFound:
                return False
        return True

    def receipt(self, tx_hash: bytes) -> TxReceipt | None:
        """The receipt if the transaction is mined (as the observer sees it), else None."""
        with rpc_guard(self.observer):
            try:
                return self.observer.eth.get_transaction_receipt(HexBytes(tx_hash))
            except TransactionNotFound:
                return None

    def wait(self, tx_hash: bytes, timeout_s: float = 60.0) -> TxReceipt:
        """Block until mined; a failed (status 0) transaction raises TransactionFailed."""
        with rpc_guard(self.w3):
            try:
                receipt = self.w3.eth.wait_for_transaction_receipt(
                    HexBytes(tx_hash), timeout=timeout_s, poll_latency=0.05
                )
            except TimeExhausted as exc:
                raise TransactionFailed(
                    f"transaction 0x{tx_hash.hex()} not mined in {timeout_s}s"
                ) from exc
        if receipt["status"] != 1:
            raise TransactionFailed(f"transaction 0x{tx_hash.hex()} reverted on chain")
        return receipt

    def transact(self, call: ContractFunction, timeout_s: float = 60.0) -> TxReceipt:
        """Estimate, sign, send and wait: for one-off admin actions, not the durable pipeline."""
        gas = self.estimate_gas(call)
        signed = self.sign(call, nonce=self.pending_nonce(), gas=gas)
        self.broadcast(signed.raw)
        started = time.monotonic()
        return self.wait(
            signed.tx_hash, timeout_s=max(1.0, timeout_s - (time.monotonic() - started))
        )
