"""Chain answers for the verification hot path: a latest-block tracker and a `check` cache.

`Registry.check` is a pure function of the contract, its inputs and the block it is read
at. The tracker asks `eth_blockNumber` at most once per interval; answers are asked AT the
tracked block and kept until the tracker reports another one. So a revocation (or any
other change) shows up within one interval, every answer says the block it is as of, and
a node that stops answering makes the tracker fail once its interval is over: nothing is
served from the cache after that, the verdict is UNVERIFIABLE.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence

from notary.chain.connection import endpoint_of
from notary.chain.errors import ChainError, RpcUnavailable
from notary.chain.jsonrpc import JsonRpc
from notary.chain.registry import Registry, Verification

MAX_CACHED_ANSWERS = 100_000
"""Answers kept for one block; the cache starts over when it is full."""

CheckKey = tuple[str, bytes, str, bytes, tuple[bytes, ...]]


class BlockTracker:
    """The chain's latest block, asked at most once per `interval_s` (a failure too)."""

    def __init__(
        self, rpc: JsonRpc, interval_s: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.rpc = rpc
        """Shared with the registry it tracks for: one kept-alive connection per thread."""
        self.interval_s = interval_s
        self._clock = clock
        self._lock = threading.Lock()
        self._known: tuple[float, int | None, ChainError | None] | None = None
        """When the node was last asked, and its answer (a block) or the failure."""

    def latest(self) -> int:
        """The latest block as of at most one interval ago; RpcUnavailable if not known."""
        known = self._known  # one tuple, replaced whole: read without the lock
        if known is None or self._clock() - known[0] >= self.interval_s:
            with self._lock:  # one thread asks, the others wait for its answer
                known = self._known
                if known is None or self._clock() - known[0] >= self.interval_s:
                    known = self._known = (self._clock(), *self._ask())
        _, block, error = known
        if block is None:
            assert error is not None
            raise error
        return block

    def _ask(self) -> tuple[int | None, ChainError | None]:
        try:
            answer = self.rpc.request("eth_blockNumber", [])
            result = answer.get("result") if isinstance(answer, dict) else None
            if not isinstance(result, str):
                raise RpcUnavailable(endpoint_of(self.rpc.w3), f"eth_blockNumber failed: {answer}")
            return int(result, 16), None
        except ChainError as exc:
            return None, exc


class CheckCache:
    """`Registry.check` answers as of the tracked latest block, kept while it stays latest."""

    def __init__(self, tracker: BlockTracker, max_entries: int = MAX_CACHED_ANSWERS) -> None:
        self.tracker = tracker
        self.max_entries = max_entries
        self._lock = threading.Lock()
        self._block: int | None = None
        self._answers: dict[CheckKey, Verification] = {}

    def check(
        self,
        registry: Registry,
        digest: bytes,
        issuer: str,
        metadata_digest: bytes,
        proof: Sequence[bytes],
        at_least: int = 0,
    ) -> Verification:
        """The registry's answer as of the tracked latest block (its `current_block`).

        `at_least`: a block known to exist (the receipt's anchor block). If the tracked
        block is older, the tracker is behind that fact: ask at the latest block, uncached.
        """
        block = self.tracker.latest()
        if at_least > block:
            return registry.check(digest, issuer, metadata_digest, proof)
        key: CheckKey = (registry.address, digest, issuer, metadata_digest, tuple(proof))
        with self._lock:
            if self._block != block:
                self._block, self._answers = block, {}
            cached = self._answers.get(key)
        if cached is not None:
            return cached
        answer = registry.check(digest, issuer, metadata_digest, proof, block=block)
        with self._lock:
            if self._block == block:
                if len(self._answers) >= self.max_entries:
                    self._answers = {}
                self._answers[key] = answer
        return answer
