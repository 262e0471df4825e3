"""The anchoring worker: moves queued chain operations to final, whatever fails between.

Each operation walks queued → signed → broadcast → mined → final. Every arrow is
committed to the database before the next network call, so a worker killed anywhere
resumes from its last record: a signed transaction is rebroadcast byte for byte (same
hash, same nonce), an effect already visible on chain is recorded instead of being sent
again, and a mined transaction that a reorg removed goes back to be sent again.

Only one operation is in flight at a time (one nonce), which keeps nonce handling
trivially correct; throughput comes from batching, not from parallel transactions.

Fees: while the base fee is above the cap (NOTARY_MAX_FEE_GWEI) nothing is signed; a
transaction the base fee overtook after it was sent is replaced at the SAME nonce once a
replacement fits under the cap, so whichever of the two is mined, the batch lands once.
Inclusion (receipts, mined nonce, block hashes) is read through the sender's observer,
another endpoint than the one it sends through when several are configured.

Nodes fail in every way (no answer, rate limits, errors of their own, garbage, a lag, a
chain switched under the URL): any failure of a step is backed off from (exponentially, up
to a cap) and the step tried again, never a reason to exit; the operation keeps its state,
so nothing is signed twice. It is logged once when it starts or changes, written on the
operation it holds up (its `last_error`, shown by /readyz), and logged again when the chain
answers. A block the node does not have yet is waited for, never taken for a reorg: only
another block at a recorded height is one.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from hexbytes import HexBytes
from web3.exceptions import BlockNotFound, TransactionNotFound

from notary.chain.connection import endpoint_of, rpc_guard
from notary.chain.errors import (
    ChainError,
    ContractReverted,
    NodeBehind,
    TransactionFailed,
    WrongChain,
)
from notary.chain.registry import Registry
from notary.chain.sender import SignedTx, TxSender
from notary.pipeline.effects import EFFECTS, Inclusion

log = logging.getLogger("notary.worker")

QUEUED, SIGNED, BROADCAST, MINED, FINAL, FAILED = (
    "queued",
    "signed",
    "broadcast",
    "mined",
    "final",
    "failed",
)
IN_FLIGHT = (QUEUED, SIGNED, BROADCAST)
# How far back final anchors are re-checked for a changed block hash (deeper reorgs
# than this do not happen on the networks we target once confirmations are counted).
REORG_WATCH_BLOCKS = 128
STOP_CHECK_S = 0.1
"""How often a long pause (a backoff up to WorkerConfig.backoff_max_s) looks whether to stop."""


@dataclass(frozen=True)
class OpSnapshot:
    """A snapshot of one row of the chain-operation outbox."""

    id: int
    kind: str
    payload: Mapping[str, Any]
    state: str
    nonce: int | None = None
    raw_tx: bytes | None = None
    tx_hash: bytes | None = None
    gas: int | None = None
    max_fee_per_gas: int | None = None
    max_priority_fee_per_gas: int | None = None
    updated_at: float = 0.0
    block_number: int | None = None
    block_hash: bytes | None = None


class OpsLedger(Protocol):
    """Where the worker reads and durably records chain operations (the store)."""

    def in_flight_and_mined(self) -> Sequence[OpSnapshot]:
        """Operations in queued/signed/broadcast/mined, oldest first."""

    def final_since(self, block_number: int) -> Sequence[OpSnapshot]:
        """Final operations whose block is at or after `block_number`."""

    def record_signed(self, op_id: int, signed: SignedTx) -> None:
        """Store the signed raw transaction and its nonce (state signed) and commit."""

    def record_broadcast(self, op_id: int) -> None:
        """State broadcast, updated now; commit."""

    def record_mined(self, op_id: int, inclusion: Inclusion) -> None:
        """State mined with where it landed; commit."""

    def record_final(self, op_id: int, inclusion: Inclusion) -> None:
        """State final; the batch and its documents (for an anchor) become anchored."""

    def record_dropped(self, op_id: int, state: str, reason: str) -> None:
        """Back to `state` (signed or queued) after a reorg or a lost nonce; undo final effects."""

    def record_failed(self, op_id: int, reason: str) -> None:
        """A permanent failure an operator must look at; other operations go on."""

    def record_trouble(self, op_id: int, reason: str) -> None:
        """Say why the operation waits (a node's error the worker backs off from); its
        state stays as it is."""

    def clear_trouble(self, op_id: int, reason: str) -> None:
        """Forget `reason` if the operation still says it."""

    @property
    def unavailable(self) -> tuple[type[Exception], ...]:
        """What the ledger raises when its database cannot be used: the worker lets it
        through, for its caller to step down."""


@dataclass
class WorkerConfig:
    """How the worker behaves; defaults suit a local chain."""

    confirmations: int = 0
    stuck_after_s: float = 60.0
    backoff_initial_s: float = 0.5
    backoff_max_s: float = 30.0
    idle_sleep_s: float = 0.2
    pending_poll_s: float = 0.05
    """Between steps while an operation waits on the chain (a block, a confirmation)."""


@dataclass
class WorkerHealth:
    """What the worker last saw (its trouble is also written on the operation it holds up)."""

    status: str = "starting"
    last_error: str | None = None
    last_progress_at: float = field(default_factory=time.time)
    failed_steps: int = 0
    """Steps failed in a row (0 while the worker is ok)."""
    degraded_since: float | None = None
    retry_in_s: float = 0.0


class AnchoringWorker:
    """Drives chain operations to final; call `step()` repeatedly or `run()`."""

    def __init__(
        self,
        ledger: OpsLedger,
        sender: TxSender,
        config: WorkerConfig | None = None,
        before_step: Callable[[], object] | None = None,
    ) -> None:
        self.ledger = ledger
        self.sender = sender
        self.registry: Registry = sender.registry
        self.config = config or WorkerConfig()
        self.before_step = before_step  # e.g. the batcher sealing due batches
        self.health = WorkerHealth()
        self._fee_wait: int | None = None  # the operation last logged as waiting for fees
        self._holding: int | None = None  # the operation the current step works on first
        self._trouble_on: tuple[int, str] | None = None  # the trouble written on an operation

    # -- loop --------------------------------------------------------------------------

    def run(self, should_stop: Callable[[], bool]) -> None:
        """Step until `should_stop()`. Any failure of a step backs off (up to
        `backoff_max_s`) and tries again, never exits; what `before_step` raises, and a
        database the ledger cannot use, are the caller's (e.g. to step down)."""
        while not should_stop():
            if self.before_step is not None:
                self.before_step()
            try:
                busy = self._step_chain()
            except self.ledger.unavailable:
                raise
            except Exception as exc:  # whatever a node did, or a bug of ours: back off
                self._pause(self._troubled(exc), should_stop)
                continue
            self._recovered()
            self._pause(
                self.config.pending_poll_s if busy else self.config.idle_sleep_s, should_stop
            )

    def step(self) -> bool:
        """Advance every operation once; True if anything is still pending (raises what
        the step met: `run` backs off from it)."""
        if self.before_step is not None:
            self.before_step()
        return self._step_chain()

    def _step_chain(self) -> bool:
        ops = self.ledger.in_flight_and_mined()
        head = next((op for op in ops if op.state in IN_FLIGHT), None)
        self._holding = head.id if head is not None else next((op.id for op in ops), None)
        if head is not None:
            self._advance(head)
        for op in ops:
            if op.state == MINED:
                self._holding = op.id
                self._confirm(op)
        self._holding = None
        repaired = self._watch_final()
        return bool(ops) or repaired

    # -- trouble -----------------------------------------------------------------------

    def _troubled(self, exc: Exception) -> float:
        """Note a failed step (logged and written down when it is new); the pause before
        the next try."""
        health = self.health
        said = (
            str(exc) if isinstance(exc, ChainError) else f"unexpected {type(exc).__name__}: {exc}"
        )
        said = said.splitlines()[0][:1000] if said else type(exc).__name__
        doublings = min(health.failed_steps, 32)  # past the cap long before: no overflow
        delay = min(self.config.backoff_initial_s * 2.0**doublings, self.config.backoff_max_s)
        if said != health.last_error:
            if isinstance(exc, ChainError):
                log.warning("chain error, backing off (tries again in %.1f s): %s", delay, said)
            else:
                log.error("step failed, backing off (tries again in %.1f s)", delay, exc_info=exc)
            self._write_trouble(said)
        if health.degraded_since is None:
            health.degraded_since = time.monotonic()
        health.status, health.last_error, health.retry_in_s = "degraded", said, delay
        health.failed_steps += 1
        return delay

    def _recovered(self) -> None:
        health = self.health
        if health.degraded_since is not None:
            log.info(
                "the chain answers again: %d failed steps in %.1f s",
                health.failed_steps,
                time.monotonic() - health.degraded_since,
            )
            self._write_trouble(None)
        health.status, health.last_error, health.retry_in_s = "ok", None, 0.0
        health.failed_steps, health.degraded_since = 0, None
        health.last_progress_at = time.time()

    def _write_trouble(self, said: str | None) -> None:
        """Write the trouble on the operation it holds up (clearing what was written)."""
        if self._trouble_on is not None and (said is None or self._trouble_on[0] != self._holding):
            self.ledger.clear_trouble(*self._trouble_on)
            self._trouble_on = None
        if said is not None and self._holding is not None:
            self.ledger.record_trouble(self._holding, said)
            self._trouble_on = (self._holding, said)

    def _pause(self, seconds: float, should_stop: Callable[[], bool]) -> None:
        """Sleep; a long pause (a backoff) asks `should_stop` on the way, to stop promptly."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            time.sleep(min(left, STOP_CHECK_S))
            if left > STOP_CHECK_S and should_stop():
                return

    # -- in flight ---------------------------------------------------------------------

    def _advance(self, op: OpSnapshot) -> None:
        if op.state == QUEUED:
            self._sign(op)
        elif op.state == SIGNED:
            self._broadcast(op)
        elif op.state == BROADCAST:
            self._follow(op)

    def _sign(self, op: OpSnapshot) -> None:
        effect = EFFECTS[op.kind]
        call = effect.call(self.registry, op.payload)
        if call is None:  # already on chain, e.g. sent before a crash and never recorded
            self._record_found(op)
            return
        blocked = self.sender.fees_blocked()
        if blocked is not None:
            self._wait_for_fees(op, blocked)
            return
        self._check_chain()
        try:
            gas = self.sender.estimate_gas(call)
        except ContractReverted as exc:
            self.ledger.record_failed(op.id, str(exc))
            return
        signed = self.sender.sign(call, nonce=self.sender.pending_nonce(), gas=gas)
        self.ledger.record_signed(op.id, signed)
        self._broadcast(_with_signed(op, signed))

    def _broadcast(self, op: OpSnapshot) -> None:
        assert op.raw_tx is not None
        try:
            self.sender.broadcast(op.raw_tx)
        except TransactionFailed as exc:
            # Typically "nonce too low": something else used the nonce. If our effect is
            # on chain, record it; otherwise sign again with a fresh nonce.
            if EFFECTS[op.kind].found_block(self.registry, op.payload) is not None:
                self._record_found(op)
            else:
                self.ledger.record_dropped(op.id, QUEUED, f"broadcast refused: {exc}")
            return
        self.ledger.record_broadcast(op.id)

    def _follow(self, op: OpSnapshot) -> None:
        assert op.tx_hash is not None and op.nonce is not None
        receipt = self.sender.receipt(op.tx_hash)
        if receipt is not None:
            if receipt["status"] == 1:
                self.ledger.record_mined(
                    op.id, self._inclusion(int(receipt["blockNumber"]), op.tx_hash)
                )
            elif EFFECTS[op.kind].found_block(self.registry, op.payload) is not None:
                self._record_found(op)
            else:
                self.ledger.record_dropped(op.id, QUEUED, "transaction reverted on chain")
            return
        if self.sender.mined_nonce() > op.nonce:
            # Our nonce was used by another transaction (a replacement or someone else).
            if EFFECTS[op.kind].found_block(self.registry, op.payload) is not None:
                self._record_found(op)
            else:
                self.ledger.record_dropped(op.id, QUEUED, "nonce used by another transaction")
            return
        if self.sender.underpriced(op.max_fee_per_gas or 0):
            self._replace(op)  # the base fee overtook it: it cannot be mined as it is
            return
        if not self._node_knows(op.tx_hash):
            self.sender.broadcast(op.raw_tx or b"")  # dropped from the pool: send the same bytes
            return
        if time.time() - op.updated_at > self.config.stuck_after_s:
            self._replace(op)

    def _replace(self, op: OpSnapshot) -> None:
        call = EFFECTS[op.kind].call(self.registry, op.payload)
        if call is None:
            self._record_found(op)
            return
        previous = SignedTx(
            op.raw_tx or b"",
            op.tx_hash or b"",
            op.nonce or 0,
            op.gas or 0,
            op.max_fee_per_gas or 0,
            op.max_priority_fee_per_gas or 0,
        )
        replacement = self.sender.replacement(call, previous)
        if replacement is None:
            self._wait_for_fees(op, self.sender.fees_blocked() or "a replacement exceeds the cap")
            return
        log.info(
            "op %s not mined (%.0fs since sent): replacing at nonce %s, max fee %.2f gwei",
            op.id,
            time.time() - op.updated_at,
            op.nonce,
            replacement.max_fee_per_gas / 1e9,
        )
        self.ledger.record_signed(op.id, replacement)
        self._broadcast(_with_signed(op, replacement))

    def _wait_for_fees(self, op: OpSnapshot, why: str) -> None:
        """Leave `op` as it is until fees fall; say so once per operation."""
        if self._fee_wait != op.id:
            self._fee_wait = op.id
            log.warning("op %s waits for fees to fall: %s", op.id, why)

    # -- mined and final ---------------------------------------------------------------

    def _confirm(self, op: OpSnapshot) -> None:
        assert op.block_number is not None
        head = self._head()
        if head < op.block_number:
            return  # the node has not reached the block yet (it lags): nothing to judge
        if not self._still_canonical(op):
            self._undo(op, "block hash changed under the recorded transaction (reorg)")
            return
        if head - op.block_number + 1 >= max(self.config.confirmations, 1) or (
            self.config.confirmations == 0
        ):
            self.ledger.record_final(op.id, self._inclusion(op.block_number, op.tx_hash))

    def _watch_final(self) -> bool:
        """Re-check recent final operations; True if a reorg took one of them away."""
        repaired = False
        head = self._head()
        for op in self.ledger.final_since(max(0, head - REORG_WATCH_BLOCKS)):
            if op.block_number is not None and op.block_number > head:
                continue  # a block the node does not have yet: lag, or a reorg it will show
            if not self._still_canonical(op):
                self._undo(op, "a final anchor's block left the chain (reorg)")
                repaired = True
        return repaired

    def _undo(self, op: OpSnapshot, reason: str) -> None:
        log.warning("op %s: %s", op.id, reason)
        if op.tx_hash is not None:
            receipt = self.sender.receipt(op.tx_hash)
            if receipt is not None and receipt["status"] == 1:  # re-mined in another block
                self.ledger.record_mined(
                    op.id, self._inclusion(int(receipt["blockNumber"]), op.tx_hash)
                )
                return
        state = SIGNED if op.raw_tx is not None else QUEUED
        self.ledger.record_dropped(op.id, state, reason)

    def _still_canonical(self, op: OpSnapshot) -> bool:
        """False only when the node holds another block at the recorded height."""
        if op.block_number is None or op.block_hash is None:
            return False
        block = self._block(op.block_number, "the recorded block")
        return bytes(block["hash"]) == op.block_hash

    # -- helpers -----------------------------------------------------------------------

    def _record_found(self, op: OpSnapshot) -> None:
        """Record an effect the chain already shows (sent before a crash, or replaced)."""
        effect = EFFECTS[op.kind]
        block = effect.found_block(self.registry, op.payload)
        if block is None:  # a reorg took it away while we looked: the next step re-sends
            return
        tx_hash = effect.found_tx(self.registry, op.payload, block) or self._tx_in_block(op, block)
        self.ledger.record_mined(op.id, self._inclusion(block, tx_hash))

    def _tx_in_block(self, op: OpSnapshot, block: int) -> bytes | None:
        if op.tx_hash is not None:
            receipt = self.sender.receipt(op.tx_hash)
            if receipt is not None and int(receipt["blockNumber"]) == block:
                return op.tx_hash
        return None

    def _inclusion(self, block_number: int, tx_hash: bytes | None) -> Inclusion:
        block = self._block(block_number, "the block the effect is in")
        receipt = self.sender.receipt(tx_hash) if tx_hash is not None else None
        gas_price = receipt.get("effectiveGasPrice") if receipt is not None else None
        return Inclusion(
            block_number,
            bytes(block["hash"]),
            tx_hash,
            int(block["timestamp"]),
            int(receipt["gasUsed"]) if receipt is not None else None,
            int(gas_price) if gas_price is not None else None,
        )

    def _block(self, number: int, known_as: str) -> Any:
        """Block `number` as the observer sees it; NodeBehind if it has none there yet."""
        observer = self.sender.observer
        with rpc_guard(observer):
            try:
                return observer.eth.get_block(number)
            except BlockNotFound:
                pass
        raise NodeBehind(endpoint_of(observer), self._head(), number, known_as)

    def _head(self) -> int:
        with rpc_guard(self.sender.observer):
            return int(self.sender.observer.eth.block_number)

    def _check_chain(self) -> None:
        """WrongChain unless the node still says the chain the sender signs for."""
        with rpc_guard(self.sender.w3, "eth_chainId"):
            found = int(self.sender.w3.eth.chain_id)
        expected = self.sender.chain_id()
        if found != expected:
            raise WrongChain(endpoint_of(self.sender.w3), found, expected)

    def _node_knows(self, tx_hash: bytes) -> bool:
        with rpc_guard(self.sender.w3):
            try:
                self.sender.w3.eth.get_transaction(HexBytes(tx_hash))
            except TransactionNotFound:
                return False
        return True


def _with_signed(op: OpSnapshot, signed: SignedTx) -> OpSnapshot:
    return OpSnapshot(
        op.id,
        op.kind,
        op.payload,
        SIGNED,
        signed.nonce,
        signed.raw,
        signed.tx_hash,
        signed.gas,
        signed.max_fee_per_gas,
        signed.max_priority_fee_per_gas,
        time.time(),
    )
