"""The chain tier on every node implementation (Anvil, Ganache 7, Hardhat 3): deploy the
build the node runs, notarise → anchor → verify a receipt → revoke, reverts by name,
mining on the node's own clock with confirmations, and a worker killed between sending a
transaction and recording it. Only standard JSON-RPC reaches the nodes from the service
(funding is a transfer from the node's dev account); the tests steer mining through each
node's own methods, as the `DevNode` protocol offers them."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from eth_account import Account

from notary.chain import ContractReverted, Registry, TxSender
from notary.chain.registry import ANCHORER_ROLE
from notary.core.receipts import Receipt
from notary.core.signing import ServiceKey
from notary.core.types import Leaf
from notary.ops.devnodes import DevNode
from notary.pipeline.ledger import StoreLedger
from notary.pipeline.operations import WorkerConfig
from notary.pipeline.proofs import proof_for
from notary.pipeline.receipts import ReceiptContext, receipt_for
from notary.pipeline.revocations import request_revocation
from notary.store.errors import DocumentPending
from notary.verify import Verdict
from notary.verify.onchain import verify_on_chain
from notary.worker.daemon import build_worker

from .conftest import funder
from .worker_env import WorkerEnv, drain

pytestmark = [pytest.mark.anvil, pytest.mark.slow]
HERE = Path(__file__).parent
CONFIRMATIONS = 2


def receipt_file_text(env: WorkerEnv, leaf: Leaf) -> str:
    """The receipt as the service hands it out (a file an auditor keeps)."""
    chain_id = int(env.registry.w3.eth.chain_id)
    ctx = ReceiptContext(
        "notary-test", ServiceKey.generate(), env.registry.address, lambda: chain_id,
        dt.timedelta(minutes=5),
    )  # fmt: skip
    return receipt_for(env.store, leaf, ctx).to_json()


def verdict(env: WorkerEnv, leaf: Leaf, confirmations: int = 0) -> Verdict:
    """Verify the receipt file with no help from the store: the receipt and the node."""
    receipt = Receipt.from_json(receipt_file_text(env, leaf))
    assert receipt.anchor is not None
    registry = Registry(env.registry.w3, receipt.anchor.contract)
    outcome = verify_on_chain(receipt, registry, required_confirmations=confirmations)
    return outcome.judgement.verdict


def test_notarise_anchor_verify_and_revoke(node_env: WorkerEnv) -> None:
    leaves = node_env.accept(12)  # two batches
    worker = build_worker(node_env.settings, node_env.store)
    drain(worker)
    node_env.assert_all_anchored_once(leaves)
    assert {verdict(node_env, leaf) for leaf in leaves} == {Verdict.VALID}

    request_revocation(node_env.store, node_env.issuer.address, leaves[0], 2, "withdrawn", "x")
    drain(worker)
    assert verdict(node_env, leaves[0]) == Verdict.REVOKED
    assert node_env.registry.revocation_of(node_env.issuer.address, leaves[0].raw).reason == 2
    assert verdict(node_env, leaves[1]) == Verdict.VALID


def test_reverts_are_named_on_every_node(node_env: WorkerEnv, devnode: DevNode) -> None:
    registry = node_env.registry
    stranger = funder(devnode)()
    with pytest.raises(ContractReverted) as refused:
        TxSender(registry, stranger).transact(registry.anchor_call(os.urandom(32), 1))
    assert refused.value.error_name == "AccessControlUnauthorizedAccount"
    assert refused.value.error_args == (stranger.address, ANCHORER_ROLE)
    root = os.urandom(32)
    anchorer = TxSender(registry, node_env.anchorer)
    anchorer.transact(registry.anchor_call(root, 3))
    with pytest.raises(ContractReverted) as twice:
        anchorer.transact(registry.anchor_call(root, 3))
    assert (twice.value.error_name, twice.value.error_args) == ("AlreadyAnchored", (root,))


def test_receipts_await_confirmations_then_become_valid(interval_env: WorkerEnv) -> None:
    env = interval_env
    leaves = env.accept(3)
    with running(env) as health:
        wait_until(lambda: stage(env, leaves[0]) != ("none", "pending"), "a batch")
        wait_until(lambda: stage(env, leaves[0])[0] == "anchored", "the anchor to be mined")
        seen = verdict(env, leaves[0], CONFIRMATIONS)
        wait_until(lambda: stage(env, leaves[0])[1] == "anchored", f"{CONFIRMATIONS} confirmations")
        assert health() == "ok"
    # Asked while mined, the node had 1 confirmation or had just reached 2.
    assert seen in (Verdict.VALID_PENDING_CONFIRMATIONS, Verdict.VALID)
    assert verdict(env, leaves[0], CONFIRMATIONS) == Verdict.VALID
    env.assert_all_anchored_once(leaves)


@pytest.mark.parametrize("point", ["broadcast", "mined"])
def test_a_worker_killed_between_sending_and_recording_sends_once(
    node_env: WorkerEnv, devnode: DevNode, point: str
) -> None:
    """ "broadcast": killed after the node took the transaction, before the worker recorded
    that; while it waits in the pool the restarted worker sends the same bytes again,
    which each node answers differently, and must not sign another transaction.
    "mined": killed after the transaction was mined, before the worker recorded that."""
    env = node_env
    leaves = env.accept(5)
    worker = build_worker(env.settings, env.store)
    held = devnode.hold_blocks() if point == "broadcast" else _nothing()
    with held:
        crashed = subprocess.run(
            [sys.executable, str(HERE / "crashing_worker.py"), point],
            env={**os.environ, **env.env()},
            capture_output=True,
            timeout=60,
        )
        assert crashed.returncode == -signal.SIGKILL, crashed.stderr.decode()[-2000:]
        (signed,) = StoreLedger(env.store).in_flight_and_mined()
        for _ in range(3):  # with blocks held, the transaction is still in the pool
            worker.step()
    drain(worker)
    env.assert_all_anchored_once(leaves)
    assert sent_by(env) == 1, "the restarted worker signed a second transaction"
    root = proof_for(env.store, leaves[0]).root.raw
    block = env.registry.anchor_of(root).block_number
    assert env.registry.anchoring_tx(root, block) == signed.tx_hash  # signed before the crash


def sent_by(env: WorkerEnv) -> int:
    """How many transactions of the anchoring account are mined."""
    return int(env.registry.w3.eth.get_transaction_count(env.anchorer.address, "latest"))


def stage(env: WorkerEnv, leaf: Leaf) -> tuple[str, str]:
    """(batch state, document status); no batch while the document is pending."""
    try:
        stored = proof_for(env.store, leaf)
    except DocumentPending:
        return "none", "pending"
    return stored.batch.state, stored.document.status


@contextmanager
def running(env: WorkerEnv) -> Iterator[Callable[[], str]]:
    """A worker thread counting CONFIRMATIONS; yields its health status, stopped afterwards."""
    worker = build_worker(
        env.settings, env.store, config=WorkerConfig(confirmations=CONFIRMATIONS, backoff_max_s=1.0)
    )
    stop = threading.Event()
    thread = threading.Thread(target=worker.run, args=(stop.is_set,), daemon=True)
    thread.start()
    try:
        yield lambda: worker.health.status
    finally:
        stop.set()
        thread.join(10)


@contextmanager
def _nothing() -> Iterator[None]:
    yield


def wait_until(condition: Callable[[], bool], what: str, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s}s waiting for {what}")
        time.sleep(0.05)


def test_funding_needs_no_node_specific_method(devnode: DevNode) -> None:
    account = Account.create()
    devnode.fund([account.address], 10**18)
    assert devnode.request("eth_getBalance", [account.address, "latest"]) == hex(10**18)
