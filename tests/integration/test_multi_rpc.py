"""Several RPC endpoints (NOTARY_RPC_URLS, NOTARY_RPC_QUORUM) on real Anvil nodes: reads
fail over, the worker sends through one endpoint and checks inclusion through another,
and a quorum of endpoints that disagree (a fork that missed the anchor, a node with no
registry) makes a verification UNVERIFIABLE, saying which endpoint said what."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx2
import pytest
from eth_account.signers.local import LocalAccount
from web3 import Web3

from notary.chain.jsonrpc import AsyncJsonRpc
from notary.core.signing import ServiceKey
from notary.core.types import Leaf
from notary.ops.anvil import AnvilNode, free_port, start_anvil
from notary.pipeline.proofs import proof_for
from notary.pipeline.receipts import ReceiptContext, receipt_for
from notary.settings.config import Settings
from notary.settings.runtime import open_registry
from notary.verify import Outcome, Verdict
from notary.verify.onchain import conclude_on_chain, examine
from notary.verify.quorum import open_checks
from notary.worker.daemon import build_worker

from .worker_env import WorkerEnv, drain, make_env

pytestmark = pytest.mark.anvil
JSON = {"content-type": "application/json"}


class Proxy:
    """A JSON-RPC endpoint in front of a node that records the methods it forwarded."""

    def __init__(self, upstream: str) -> None:
        methods: Counter[str] = Counter()
        self.methods = methods

        class Forward(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                for name in _methods(body):
                    methods[name] += 1
                answer = httpx2.post(upstream, content=body, headers=JSON)
                self.send_response(answer.status_code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer.content)))
                self.end_headers()
                self.wfile.write(answer.content)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Forward)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _methods(body: bytes) -> list[str]:
    payload = json.loads(body)
    calls = payload if isinstance(payload, list) else [payload]
    return [str(call.get("method")) for call in calls]


@pytest.fixture
def proxies(anvil: AnvilNode) -> Iterator[tuple[Proxy, Proxy]]:
    first, second = Proxy(anvil.url), Proxy(anvil.url)
    try:
        yield first, second
    finally:
        first.close()
        second.close()


@pytest.fixture
def env(w3: Web3, fund: Callable[[], LocalAccount], tmp_path: Path) -> Iterator[WorkerEnv]:
    """On SQLite only: what is under test is the chain side."""
    yield from make_env(w3, fund, tmp_path)


def test_the_worker_sends_through_one_endpoint_and_checks_through_another(
    env: WorkerEnv, proxies: tuple[Proxy, Proxy]
) -> None:
    sending, observing = proxies
    settings = env.settings.model_copy(update={"rpc_urls": f"{sending.url},{observing.url}"})
    leaves = env.accept(12)
    drain(build_worker(settings, env.store))
    env.assert_all_anchored_once(leaves)
    assert sending.methods["eth_sendRawTransaction"] >= 2  # two batches (10 and 2)
    assert observing.methods["eth_sendRawTransaction"] == 0
    assert observing.methods["eth_getTransactionReceipt"] >= 2
    assert sending.methods["eth_getTransactionReceipt"] == 0


def test_reads_and_sends_fail_over_to_the_next_endpoint(
    env: WorkerEnv, proxies: tuple[Proxy, Proxy]
) -> None:
    first, second = proxies
    dead = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    settings = env.settings.model_copy(update={"rpc_urls": f"{dead},{first.url},{second.url}"})
    leaves = env.accept(3)
    drain(build_worker(settings, env.store))
    env.assert_all_anchored_once(leaves)
    first.close()  # now the second one is all that is left
    registry = open_registry(settings)
    root = registry.check(*_asked(env, leaves[0])).root
    assert registry.anchor_of(root).anchored
    assert second.methods["eth_call"] >= 1
    outcome = asyncio.run(_conclude(env, settings, leaves[0]))
    assert outcome.judgement.verdict == Verdict.VALID, outcome.judgement.detail


def test_a_quorum_of_endpoints_that_agree_is_valid(
    env: WorkerEnv, proxies: tuple[Proxy, Proxy]
) -> None:
    leaves = env.accept(2)
    drain(build_worker(env.settings, env.store))
    both = env.settings.model_copy(
        update={"rpc_urls": ",".join(p.url for p in proxies), "rpc_quorum": 2}
    )
    outcome = asyncio.run(_conclude(env, both, leaves[0]))
    assert outcome.judgement.verdict == Verdict.VALID, outcome.judgement.detail
    assert all(p.methods["eth_call"] >= 1 for p in proxies)


def test_a_fork_that_missed_the_anchor_is_behind_and_leaves_no_quorum(
    env: WorkerEnv, anvil: AnvilNode
) -> None:
    fork = start_anvil(extra_args=["--fork-url", anvil.url])  # forked before the anchor
    try:
        leaves = env.accept(2)
        drain(build_worker(env.settings, env.store))
        settings = env.settings.model_copy(
            update={"rpc_urls": f"{anvil.url},{fork.url}", "rpc_quorum": 2}
        )
        outcome = asyncio.run(_conclude(env, settings, leaves[0]))
    finally:
        fork.stop()
    assert outcome.judgement.verdict == Verdict.UNVERIFIABLE
    detail = outcome.judgement.detail
    assert fork.url in detail and "before block" in detail and "another fork" in detail


def test_a_node_without_the_registry_leaves_too_few_endpoints_to_agree(
    env: WorkerEnv, anvil: AnvilNode
) -> None:
    liar = start_anvil()  # another chain with the same id, and no contract at the address
    try:
        leaves = env.accept(2)
        drain(build_worker(env.settings, env.store))
        settings = env.settings.model_copy(
            update={"rpc_urls": f"{anvil.url},{liar.url}", "rpc_quorum": 2}
        )
        outcome = asyncio.run(_conclude(env, settings, leaves[0]))
    finally:
        liar.stop()
    assert outcome.judgement.verdict == Verdict.UNVERIFIABLE
    detail = outcome.judgement.detail
    assert "1 of 2 RPC endpoints answered" in detail and liar.url in detail


async def _conclude(env: WorkerEnv, settings: Settings, leaf: Leaf) -> Outcome:
    """The API's verification path (`conclude_on_chain`) under `settings`' endpoints."""
    registry = open_registry(settings)
    checks = open_checks(settings, AsyncJsonRpc(registry.w3))
    ctx = ReceiptContext(
        "notary-test", ServiceKey.generate(), registry.address, lambda: 31337,
        dt.timedelta(minutes=5),
    )  # fmt: skip
    examined = examine(receipt_for(env.store, leaf, ctx), required_confirmations=0)
    return await conclude_on_chain(examined, registry, checks)


def _asked(env: WorkerEnv, leaf: Leaf) -> tuple[bytes, str, bytes, tuple[bytes, ...]]:
    stored = proof_for(env.store, leaf)
    values = stored.document.values
    return values.digest.raw, values.issuer, values.metadata_digest.raw, tuple(stored.proof)
