"""The anchoring worker on a real Anvil: seal, sign, send, confirm, and repair a reorg."""

from __future__ import annotations

import pytest
from web3 import Web3

from notary.chain.errors import RpcUnavailable
from notary.pipeline.operations import WorkerConfig
from notary.pipeline.proofs import proof_for
from notary.worker.daemon import build_worker

from .worker_env import WorkerEnv, drain

pytestmark = pytest.mark.anvil


def test_documents_are_sealed_anchored_and_provable(env: WorkerEnv) -> None:
    leaves = env.accept(25)
    worker = build_worker(env.settings, env.store)
    drain(worker)
    env.assert_all_anchored_once(leaves)  # batches of 10, 10 and 5


def test_confirmations_are_counted_before_documents_count_as_anchored(
    env: WorkerEnv, w3: Web3
) -> None:
    leaves = env.accept(3)
    worker = build_worker(env.settings, env.store, config=WorkerConfig(confirmations=3))
    worker.step()
    worker.step()
    assert proof_for(env.store, leaves[0]).batch.state == "anchored"
    assert proof_for(env.store, leaves[0]).document.status == "sealed"
    w3.provider.make_request("anvil_mine", [2])
    drain(worker)
    env.assert_all_anchored_once(leaves)


def test_an_unreachable_rpc_degrades_and_loses_nothing(env: WorkerEnv) -> None:
    leaves = env.accept(4)
    down = env.settings.model_copy(update={"rpc_url": "http://127.0.0.1:9"})
    with pytest.raises(RpcUnavailable):
        build_worker(down, env.store).step()
    stops = iter([False, True])
    broken = build_worker(down, env.store, config=WorkerConfig(backoff_initial_s=0.01))
    broken.run(lambda: next(stops))
    assert broken.health.status == "degraded" and "127.0.0.1:9" in (broken.health.last_error or "")
    drain(build_worker(env.settings, env.store))
    env.assert_all_anchored_once(leaves)


def test_a_reorg_that_drops_the_anchor_is_detected_and_repaired(env: WorkerEnv, w3: Web3) -> None:
    leaves = env.accept(5)
    worker = build_worker(env.settings, env.store)
    snapshot = w3.provider.make_request("evm_snapshot", [])["result"]
    drain(worker)
    env.assert_all_anchored_once(leaves)

    w3.provider.make_request("evm_revert", [snapshot])  # the anchoring block is gone
    w3.provider.make_request("anvil_mine", [3])  # and the chain grows past it again
    assert not env.registry.anchor_of(proof_for(env.store, leaves[0]).root.raw).anchored
    drain(worker)
    env.assert_all_anchored_once(leaves)


def test_a_stuck_transaction_is_replaced_at_the_same_nonce(env: WorkerEnv, w3: Web3) -> None:
    leaves = env.accept(3)
    worker = build_worker(env.settings, env.store, config=WorkerConfig(stuck_after_s=0.0))
    w3.provider.make_request("evm_setAutomine", [False])
    try:
        worker.step()  # sealed, signed, broadcast: waiting in the pool
        first = worker.ledger.in_flight_and_mined()[0]
        worker.step()  # still not mined after stuck_after_s: replaced
        second = worker.ledger.in_flight_and_mined()[0]
        assert second.nonce == first.nonce and second.tx_hash != first.tx_hash
        assert (second.max_fee_per_gas or 0) > (first.max_fee_per_gas or 0)
        w3.provider.make_request("evm_mine", [])
    finally:
        w3.provider.make_request("evm_setAutomine", [True])
    drain(worker)
    env.assert_all_anchored_once(leaves)
    assert worker.sender.receipt(second.tx_hash or b"") is not None
    assert worker.sender.receipt(first.tx_hash or b"") is None
