"""Chain answers for the API's verifications, on its event loop: the latest block, cached
`check` answers, the chain id.

`Registry.check` is a pure function of the contract, its inputs and the block it is read
at. The tracker asks `eth_blockNumber` at most once per interval; answers are asked AT the
tracked block and kept until the tracker reports another one. So a revocation (or any
other change) shows up within one interval, every answer says the block it is as of, and
a node that stops answering makes the tracker fail once its interval is over: nothing is
served from the cache after that, the verdict is UNVERIFIABLE. So is an answer as of a
block older than the receipt's anchor (a replica catching up, another fork): its "no
record of the root" would only say it has not seen that block. Callers wait on the node
without blocking the loop; a node that hangs holds them for the RPC timeout at most.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Sequence
from typing import Protocol

from notary.chain.connection import endpoint_of
from notary.chain.errors import ChainError, NodeBehind, answer_failure
from notary.chain.jsonrpc import AsyncJsonRpc
from notary.chain.registry import Registry, SignedVerification, Verification

MAX_CACHED_ANSWERS = 100_000
"""Answers kept for one block; the cache starts over when it is full."""

CheckKey = tuple[object, ...]
"""The contract and the arguments of one call."""
Signed = tuple[bytes, tuple[bytes, ...], bytes]
"""checkSigned's last three arguments: leavesRoot, the submission path, the signature."""
_Known = tuple[float, int | None, ChainError | None]
"""When the node was last asked, and its answer (a block) or the failure."""


class BlockTracker:
    """The chain's latest block, asked at most once per `interval_s` (a failure too)."""

    def __init__(
        self, rpc: AsyncJsonRpc, interval_s: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.rpc = rpc
        self.interval_s = interval_s
        self._clock = clock
        self._known: _Known | None = None
        self._asking: asyncio.Future[_Known] | None = None

    async def latest(self) -> int:
        """The latest block as of at most one interval ago; ChainError if not known."""
        known = self._known
        if known is None or self._clock() - known[0] >= self.interval_s:
            if self._asking is None:  # one caller asks, the others await its answer
                self._asking = asyncio.ensure_future(self._ask())
            known = await asyncio.shield(self._asking)
        _, block, error = known
        if block is None:
            assert error is not None
            raise error
        return block

    async def _ask(self) -> _Known:
        asked_at = self._clock()
        try:
            answer = await self.rpc.request("eth_blockNumber", [])
            self._known = (asked_at, _quantity(answer, "eth_blockNumber", self.rpc), None)
        except ChainError as exc:
            self._known = (asked_at, None, exc)
        finally:
            self._asking = None
        return self._known


class ChainChecks(Protocol):
    """Where the API's verifications get the chain's answer: one endpoint, or a quorum."""

    async def check(
        self,
        registry: Registry,
        digest: bytes,
        issuer: str,
        metadata_digest: bytes,
        proof: Sequence[bytes],
        at_least: int = 0,
        contract: str | None = None,
    ) -> Verification:
        """The registry's answer about a document (see `CheckCache.check`)."""

    async def check_signed(
        self,
        registry: Registry,
        digest: bytes,
        issuer: str,
        metadata_digest: bytes,
        proof: Sequence[bytes],
        signed: Signed,
        at_least: int = 0,
        contract: str | None = None,
    ) -> SignedVerification:
        """The registry's `checkSigned` answer about a document and its issuer's signature."""

    async def chain_id(self) -> int:
        """The chain's id; ChainError if it cannot be asked."""


class CheckCache:
    """`Registry.check` answers as of the tracked latest block, kept while it stays latest."""

    def __init__(self, tracker: BlockTracker, max_entries: int = MAX_CACHED_ANSWERS) -> None:
        self.tracker = tracker
        self.max_entries = max_entries
        self._block: int | None = None
        self._answers: dict[CheckKey, Verification | SignedVerification] = {}

    async def check(
        self,
        registry: Registry,
        digest: bytes,
        issuer: str,
        metadata_digest: bytes,
        proof: Sequence[bytes],
        at_least: int = 0,
        contract: str | None = None,
    ) -> Verification:
        """The registry's answer as of the tracked latest block (its `current_block`).

        `at_least`: a block known to exist (the receipt's anchor block). If the tracked
        block is older, the tracker is behind that fact: ask at the latest block, uncached.
        `contract`: another deployment of the registry on the same chain (a receipt's).
        """
        asked = (digest, issuer, metadata_digest, proof)
        answer = await self._cached(registry, asked, None, at_least, contract)
        assert isinstance(answer, Verification)
        return answer

    async def check_signed(
        self,
        registry: Registry,
        digest: bytes,
        issuer: str,
        metadata_digest: bytes,
        proof: Sequence[bytes],
        signed: Signed,
        at_least: int = 0,
        contract: str | None = None,
    ) -> SignedVerification:
        """`checkSigned`'s answer, as `check`'s is (the same block, cache and lag rule)."""
        asked = (digest, issuer, metadata_digest, proof)
        answer = await self._cached(registry, asked, signed, at_least, contract)
        assert isinstance(answer, SignedVerification)
        return answer

    async def _cached(
        self,
        registry: Registry,
        asked: tuple[bytes, str, bytes, Sequence[bytes]],
        signed: Signed | None,
        at_least: int,
        contract: str | None,
    ) -> Verification | SignedVerification:
        block = await self.tracker.latest()
        if at_least > block:
            answer = await self._ask(registry, asked, signed, "latest", contract)
            current = _verification(answer).current_block
            if current < at_least:  # its "no record" would only be lag
                raise NodeBehind(
                    endpoint_of(self.tracker.rpc.w3),
                    current,
                    at_least,
                    "the receipt's anchor block",
                )
            return answer
        digest, issuer, metadata_digest, proof = asked
        key: CheckKey = (
            contract or registry.address,
            digest,
            issuer,
            metadata_digest,
            tuple(proof),
        )
        if signed is not None:
            key += (signed[0], tuple(signed[1]), signed[2])
        if self._block != block:
            self._block, self._answers = block, {}
        cached = self._answers.get(key)
        if cached is not None:
            return cached
        answer = await self._ask(registry, asked, signed, block, contract)
        if self._block == block:  # the tracker may have moved on while this was asked
            if len(self._answers) >= self.max_entries:
                self._answers = {}
            self._answers[key] = answer
        return answer

    async def chain_id(self) -> int:
        """The chain's id (`eth_chainId`) from the tracker's endpoint."""
        return await ask_chain_id(self.tracker.rpc)

    async def _ask(
        self,
        registry: Registry,
        asked: tuple[bytes, str, bytes, Sequence[bytes]],
        signed: Signed | None,
        block: int | str,
        contract: str | None,
    ) -> Verification | SignedVerification:
        if signed is None:
            params = registry.check_params(*asked, block=block, contract=contract)
            return registry.check_answer(
                await self.tracker.rpc.request("eth_call", params), contract
            )
        params = registry.check_signed_params(*asked, *signed, block=block, contract=contract)
        answer = await self.tracker.rpc.request("eth_call", params)
        return registry.check_signed_answer(answer, contract)


def _verification(answer: Verification | SignedVerification) -> Verification:
    return answer.verification if isinstance(answer, SignedVerification) else answer


async def ask_chain_id(rpc: AsyncJsonRpc) -> int:
    """The chain's id (`eth_chainId`); ChainError if the node does not say."""
    return _quantity(await rpc.request("eth_chainId", []), "eth_chainId", rpc)


def _quantity(answer: object, method: str, rpc: AsyncJsonRpc) -> int:
    result = answer.get("result") if isinstance(answer, dict) else None
    if isinstance(result, str):
        with contextlib.suppress(ValueError):
            return int(result, 16)
    raise answer_failure(endpoint_of(rpc.w3), method, answer)
