"""The chain answers verification caches: as of the tracked block, never past its interval."""

from __future__ import annotations

from typing import Any

import pytest
from web3 import Web3

from notary.chain.errors import RpcUnavailable
from notary.chain.reader import BlockTracker, CheckCache
from notary.chain.registry import Registry
from notary.core.receipts import Receipt
from notary.core.types import Leaf
from notary.core.verify import Verdict
from notary.pipeline.proofs import proof_for
from notary.verification import verify_on_chain
from tests.api.conftest import ApiEnv, Issuer

INTERVAL_S = 1.0


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _cache(registry: Registry, clock: Clock) -> CheckCache:
    return CheckCache(BlockTracker(registry.rpc, INTERVAL_S, clock))


def _anchored(api: ApiEnv, issuer: Issuer) -> str:
    leaf: str = api.notarise(issuer)["leaf"]
    api.drain()
    return leaf


def test_answers_are_as_of_the_tracked_block_until_the_interval_ends(
    api: ApiEnv, issuer: Issuer, w3: Web3
) -> None:
    leaf = _anchored(api, issuer)
    stored = proof_for(api.store, Leaf.from_hex(leaf, "leaf"))
    values = stored.document.values
    ask = (values.digest.raw, values.issuer, values.metadata_digest.raw, stored.proof)
    clock = Clock()
    cache = _cache(api.registry, clock)
    first = cache.check(api.registry, *ask)
    assert first.revoked_at == 0 and first.current_block == w3.eth.block_number

    revoked = api.client.post(
        f"/v1/documents/{leaf}/revoke", json={"reason": 2}, headers=issuer.headers
    )
    assert revoked.status_code == 202
    api.drain()  # mines the revocation: the chain moved on
    assert cache.check(api.registry, *ask) == first  # within the interval: as of its block

    clock.now += INTERVAL_S
    after = cache.check(api.registry, *ask)
    assert after.revoked_at > 0 and after.current_block == w3.eth.block_number
    verdict = api.client.post("/v1/verify", json={"leaf": leaf}).json()
    assert verdict["verdict"] == "REVOKED" and verdict["chainBlock"] == w3.eth.block_number


def test_an_unreachable_chain_is_unverifiable_once_the_interval_ends(
    api: ApiEnv, issuer: Issuer, monkeypatch: pytest.MonkeyPatch
) -> None:
    leaf = _anchored(api, issuer)
    receipt = Receipt.from_dict(
        api.client.get(f"/v1/documents/{leaf}/receipt", headers=issuer.headers).json()
    )
    registry = Registry(api.registry.w3, api.registry.address)
    clock = Clock()
    cache = _cache(registry, clock)

    def verdict() -> Verdict:
        outcome = verify_on_chain(receipt, registry, required_confirmations=0, checks=cache)
        return outcome.judgement.verdict

    assert verdict() == Verdict.VALID

    def down(*_: Any) -> Any:
        raise RpcUnavailable("http://node.invalid", "connection refused")

    monkeypatch.setattr(cache.tracker.rpc, "request", down)
    monkeypatch.setattr(registry.rpc, "request", down)
    assert verdict() == Verdict.VALID  # the answer for the tracked block, within its interval
    clock.now += INTERVAL_S
    assert verdict() == Verdict.UNVERIFIABLE
    with pytest.raises(RpcUnavailable):
        cache.tracker.latest()
    clock.now += INTERVAL_S / 2
    assert verdict() == Verdict.UNVERIFIABLE  # a failed poll is not retried within the interval


def test_a_receipt_anchored_after_the_tracked_block_is_asked_at_the_latest(
    api: ApiEnv, issuer: Issuer
) -> None:
    clock = Clock()
    cache = _cache(api.registry, clock)
    cache.tracker.latest()  # tracked now; the anchor below lands in a later block
    leaf = _anchored(api, issuer)
    receipt = Receipt.from_dict(
        api.client.get(f"/v1/documents/{leaf}/receipt", headers=issuer.headers).json()
    )
    outcome = verify_on_chain(receipt, api.registry, required_confirmations=0, checks=cache)
    assert outcome.judgement.verdict == Verdict.VALID, outcome.judgement.detail
