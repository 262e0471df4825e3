"""The worker on a chain that mines on its own clock (Anvil --block-time 1), as a network
does: confirmations counted, a base-fee spike waited out and replaced at the same nonce,
a reorg deeper than the confirmations repaired. Each ends with the fault tests' audit."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import Web3

from notary.chain.connection import connect
from notary.core.signing import ServiceKey
from notary.core.types import Leaf
from notary.ops.anvil import AnvilNode, start_anvil
from notary.pipeline.operations import AnchoringWorker, WorkerConfig
from notary.pipeline.proofs import proof_for
from notary.pipeline.receipts import ReceiptContext, receipt_for
from notary.store.errors import DocumentPending
from notary.verify import Verdict
from notary.verify.onchain import verify_on_chain
from notary.worker.daemon import build_worker

from .worker_env import WorkerEnv, make_env

pytestmark = [pytest.mark.anvil, pytest.mark.slow]
GWEI = 10**9
CONFIRMATIONS = 3


@pytest.fixture(scope="module")
def node() -> Iterator[AnvilNode]:
    anvil = start_anvil(block_time_s=1)
    try:
        yield anvil
    finally:
        anvil.stop()


@pytest.fixture
def chain(node: AnvilNode) -> Web3:
    return connect(node.url)


@pytest.fixture
def env(chain: Web3, tmp_path: Path) -> Iterator[WorkerEnv]:
    def fund() -> LocalAccount:
        account: LocalAccount = Account.create()
        chain.provider.make_request("anvil_setBalance", [account.address, hex(10**21)])
        return account

    yield from make_env(chain, fund, tmp_path)


@contextmanager
def running(env: WorkerEnv, **settings: object) -> Iterator[AnchoringWorker]:
    """A worker thread with `settings` changed, stopped afterwards."""
    changed = env.settings.model_copy(update=settings)
    worker = build_worker(
        changed, env.store, config=WorkerConfig(confirmations=CONFIRMATIONS, backoff_max_s=1.0)
    )
    stop = threading.Event()
    thread = threading.Thread(target=worker.run, args=(stop.is_set,), daemon=True)
    thread.start()
    try:
        yield worker
    finally:
        stop.set()
        thread.join(10)


def wait_until(condition: Callable[[], bool], what: str, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s}s waiting for {what}")
        time.sleep(0.05)


def status(env: WorkerEnv, leaf: Leaf) -> tuple[str, str]:
    """(batch state, document status); no batch while the document is pending."""
    try:
        stored = proof_for(env.store, leaf)
    except DocumentPending:
        return "none", "pending"
    return stored.batch.state, stored.document.status


def verdict(env: WorkerEnv, leaf: Leaf) -> Verdict:
    ctx = ReceiptContext(
        "notary-test", ServiceKey.generate(), env.registry.address, lambda: 31337,
        dt.timedelta(minutes=5),
    )  # fmt: skip
    receipt = receipt_for(env.store, leaf, ctx)
    outcome = verify_on_chain(receipt, env.registry, required_confirmations=CONFIRMATIONS)
    return outcome.judgement.verdict


def anchorer_nonce(env: WorkerEnv) -> int:
    return int(env.registry.w3.eth.get_transaction_count(env.anchorer.address, "latest"))


def test_receipts_await_confirmations_then_become_valid(env: WorkerEnv) -> None:
    leaves = env.accept(3)
    with running(env) as worker:
        wait_until(lambda: status(env, leaves[0])[0] == "anchored", "the anchor to be mined")
        assert status(env, leaves[0])[1] == "sealed"  # mined, not final: not yet anchored
        seen = verdict(env, leaves[0])
        wait_until(lambda: status(env, leaves[0])[1] == "anchored", "3 confirmations")
        assert worker.health.status == "ok"
    # Asked while mined, either the node had 1-2 confirmations or it had just reached 3.
    assert seen in (Verdict.VALID_PENDING_CONFIRMATIONS, Verdict.VALID)
    assert verdict(env, leaves[0]) == Verdict.VALID
    env.assert_all_anchored_once(leaves)


def test_base_fee_above_the_cap_is_waited_out_without_sending(env: WorkerEnv, chain: Web3) -> None:
    chain.provider.make_request("anvil_setNextBlockBaseFeePerGas", [hex(100 * GWEI)])
    wait_until(lambda: chain.eth.get_block("latest")["baseFeePerGas"] >= 90 * GWEI, "the spike")
    leaves = env.accept(4)
    with running(env, max_fee_gwei=50):
        time.sleep(1.5)  # at least one block at a base fee above the cap
        if chain.eth.get_block("latest")["baseFeePerGas"] > 50 * GWEI:
            assert anchorer_nonce(env) == 0  # nothing sent while it could not be mined
            assert status(env, leaves[0])[0] == "sealed"
        wait_until(lambda: status(env, leaves[0])[1] == "anchored", "the base fee to fall")
    assert anchorer_nonce(env) == 1  # one transaction for the batch, whatever the wait
    env.assert_all_anchored_once(leaves)


def test_a_sent_anchor_overtaken_by_the_base_fee_is_replaced_at_its_nonce(
    env: WorkerEnv, chain: Web3
) -> None:
    chain.provider.make_request("evm_setIntervalMining", [0])  # hold the next block
    try:
        leaves = env.accept(4)
        with running(env, max_fee_gwei=50) as worker:
            wait_until(
                lambda: any(op.state == "broadcast" for op in worker.ledger.in_flight_and_mined()),
                "the anchor to be sent",
            )
            first = worker.ledger.in_flight_and_mined()[0]
            chain.provider.make_request("anvil_setNextBlockBaseFeePerGas", [hex(100 * GWEI)])
            chain.provider.make_request("evm_mine", [])  # a block it cannot be in
            chain.provider.make_request("evm_setIntervalMining", [1])
            wait_until(lambda: status(env, leaves[0])[1] == "anchored", "the replacement")
    finally:
        chain.provider.make_request("evm_setIntervalMining", [1])
    root = proof_for(env.store, leaves[0]).root.raw
    tx_hash = env.registry.anchoring_tx(root, env.registry.anchor_of(root).block_number)
    assert tx_hash is not None
    tx = chain.eth.get_transaction(tx_hash)
    assert tx["nonce"] == first.nonce and tx["hash"] != first.tx_hash  # replaced, same nonce
    assert tx["maxFeePerGas"] <= 50 * GWEI  # never above the cap
    assert chain.eth.get_transaction_receipt(tx["hash"])["status"] == 1
    assert anchorer_nonce(env) == 1
    env.assert_all_anchored_once(leaves)


def test_a_reorg_deeper_than_the_confirmations_is_reanchored(env: WorkerEnv, chain: Web3) -> None:
    snapshot = chain.provider.make_request("evm_snapshot", [])["result"]
    leaves = env.accept(5)
    with running(env):
        wait_until(lambda: status(env, leaves[0])[1] == "anchored", "the first anchor")
        root = proof_for(env.store, leaves[0]).root.raw
        depth = chain.eth.block_number - env.registry.anchor_of(root).block_number + 1
        assert depth >= CONFIRMATIONS
        chain.provider.make_request("evm_revert", [snapshot])  # the anchor's blocks are gone
        assert not env.registry.anchor_of(root).anchored
        wait_until(lambda: env.registry.anchor_of(root).anchored, "the root anchored again")
        wait_until(lambda: status(env, leaves[0])[1] == "anchored", "final again")
    env.assert_all_anchored_once(leaves)
