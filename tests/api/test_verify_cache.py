"""The chain answers verification caches: as of the tracked block, never past its interval;
a node that fails or hangs makes verdicts UNVERIFIABLE without holding up the service."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from web3 import Web3

from api.app import create_app
from notary.chain.errors import RpcUnavailable
from notary.chain.jsonrpc import AsyncJsonRpc
from notary.chain.reader import BlockTracker, CheckCache
from notary.core.receipts import Receipt
from notary.core.types import Leaf
from notary.pipeline.proofs import proof_for
from notary.settings.service_key import key_file
from notary.store.migrate import upgrade
from notary.verify import Verdict
from notary.verify.onchain import conclude_on_chain, examine
from tests.api.conftest import ApiEnv, Issuer, api_settings, funded

INTERVAL_S = 1.0


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _cache(w3: Web3, clock: Clock) -> CheckCache:
    return CheckCache(BlockTracker(AsyncJsonRpc(w3), INTERVAL_S, clock))


def _anchored(api: ApiEnv, issuer: Issuer) -> str:
    leaf: str = api.notarise(issuer)["leaf"]
    api.drain()
    return leaf


def _receipt(api: ApiEnv, issuer: Issuer, leaf: str) -> Receipt:
    r = api.client.get(f"/v1/documents/{leaf}/receipt", headers=issuer.headers)
    return Receipt.from_dict(r.json())


def test_answers_are_as_of_the_tracked_block_until_the_interval_ends(
    api: ApiEnv, issuer: Issuer, w3: Web3
) -> None:
    leaf = _anchored(api, issuer)
    stored = proof_for(api.store, Leaf.from_hex(leaf, "leaf"))
    values = stored.document.values
    ask = (values.digest.raw, values.issuer, values.metadata_digest.raw, stored.proof)
    clock = Clock()
    cache = _cache(w3, clock)

    async def scenario() -> None:
        first = await cache.check(api.registry, *ask)
        assert first.revoked_at == 0 and first.current_block == w3.eth.block_number

        revoked = api.client.post(
            f"/v1/documents/{leaf}/revoke", json={"reason": 2}, headers=issuer.headers
        )
        assert revoked.status_code == 202
        api.drain()  # mines the revocation: the chain moved on
        assert await cache.check(api.registry, *ask) == first  # within the interval

        clock.now += INTERVAL_S
        after = await cache.check(api.registry, *ask)
        assert after.revoked_at > 0 and after.current_block == w3.eth.block_number
        cache.tracker.rpc.close()

    asyncio.run(scenario())
    verdict = api.client.post("/v1/verify", json={"leaf": leaf}).json()
    assert verdict["verdict"] == "REVOKED" and verdict["chainBlock"] == w3.eth.block_number


def test_an_unreachable_chain_is_unverifiable_once_the_interval_ends(
    api: ApiEnv, issuer: Issuer, w3: Web3, monkeypatch: pytest.MonkeyPatch
) -> None:
    receipt = _receipt(api, issuer, _anchored(api, issuer))
    clock = Clock()
    cache = _cache(w3, clock)

    async def verdict() -> Verdict:
        examined = examine(receipt, required_confirmations=0)
        outcome = await conclude_on_chain(examined, api.registry, cache, w3.eth.chain_id)
        return outcome.judgement.verdict

    async def down(*_: Any) -> Any:
        raise RpcUnavailable("http://node.invalid", "connection refused")

    async def scenario() -> None:
        assert await verdict() == Verdict.VALID
        cache.tracker.rpc.close()
        monkeypatch.setattr(cache.tracker.rpc, "request", down)
        assert await verdict() == Verdict.VALID  # the tracked block's answer, within its interval
        clock.now += INTERVAL_S
        assert await verdict() == Verdict.UNVERIFIABLE
        with pytest.raises(RpcUnavailable):
            await cache.tracker.latest()
        clock.now += INTERVAL_S / 2
        assert await verdict() == Verdict.UNVERIFIABLE  # a failed poll is not retried

    asyncio.run(scenario())


def test_a_receipt_anchored_after_the_tracked_block_is_asked_at_the_latest(
    api: ApiEnv, issuer: Issuer, w3: Web3
) -> None:
    cache = _cache(w3, Clock())

    async def scenario() -> None:
        await cache.tracker.latest()  # tracked now; the anchor below lands in a later block
        receipt = _receipt(api, issuer, _anchored(api, issuer))
        outcome = await conclude_on_chain(
            examine(receipt, required_confirmations=0), api.registry, cache
        )
        assert outcome.judgement.verdict == Verdict.VALID, outcome.judgement.detail
        cache.tracker.rpc.close()

    asyncio.run(scenario())


def test_many_waiting_verifications_ask_the_node_for_the_block_once(
    api: ApiEnv, issuer: Issuer, w3: Web3
) -> None:
    receipt = _receipt(api, issuer, _anchored(api, issuer))
    cache = _cache(w3, Clock())
    chain_id = w3.eth.chain_id
    asked: list[str] = []
    request = cache.tracker.rpc.request

    async def counting(method: str, params: list[Any]) -> Any:
        asked.append(method)
        return await request(method, params)

    async def scenario() -> list[Verdict]:
        cache.tracker.rpc.request = counting  # type: ignore[method-assign]
        examined = examine(receipt, required_confirmations=0)
        outcomes = await asyncio.gather(
            *(conclude_on_chain(examined, api.registry, cache, chain_id) for _ in range(10))
        )
        cache.tracker.rpc.close()
        return [o.judgement.verdict for o in outcomes]

    assert asyncio.run(scenario()) == [Verdict.VALID] * 10
    assert asked.count("eth_blockNumber") == 1
    assert asked.count("eth_call") == 10  # the same question: asked by each, cached after


@pytest.fixture
def silent_node() -> Iterator[str]:
    """An RPC URL whose node accepts connections and never answers."""
    with socket.create_server(("127.0.0.1", 0)) as server:
        yield f"http://127.0.0.1:{server.getsockname()[1]}/"


def test_a_hanging_node_makes_verdicts_unverifiable_and_holds_up_nothing_else(
    api: ApiEnv, issuer: Issuer, w3: Web3, tmp_path: Path, silent_node: str
) -> None:
    receipt = _receipt(api, issuer, _anchored(api, issuer)).to_dict()
    timeout_s = 2.0
    settings = api_settings(
        tmp_path,
        w3,
        api.registry.address,
        funded(w3),
        rpc_url=silent_node,
        rpc_timeout=timeout_s,
        service_key_file=key_file(api.settings),
    )
    upgrade(settings.resolved_database_url)
    with TestClient(create_app(settings)) as hanging:
        verdicts: list[Any] = []

        def verify() -> None:
            started = time.monotonic()
            answer = hanging.post("/v1/verify", json={"receipt": receipt}).json()
            verdicts.append((answer["verdict"], time.monotonic() - started))

        waiting = [threading.Thread(target=verify) for _ in range(4)]
        for t in waiting:
            t.start()
        time.sleep(0.3)  # the verifications are waiting on the node now
        started = time.monotonic()
        assert hanging.get("/healthz").status_code == 200
        assert hanging.get("/v1/issuers").status_code == 200
        assert time.monotonic() - started < timeout_s / 2  # served while they wait
        for t in waiting:
            t.join(3 * timeout_s)
    assert [v for v, _ in verdicts] == ["UNVERIFIABLE"] * 4
    assert all(timeout_s * 0.9 < took < 3 * timeout_s for _, took in verdicts), verdicts
