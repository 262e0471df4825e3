"""Several RPC endpoints of one chain: reads fail over, and the worker's view is split.

Hosted providers fail, throttle and lag. `FailoverProvider` is a web3 provider over an
ordered list of endpoints: a call that gets no answer from one (refused, timed out, an
HTTP error) or a rate limit (`notary.chain.errors.RateLimited`: HTTP 429, -32005, a quota)
is asked of the next, and the one that answered is asked first from then on. Any other
JSON-RPC error is an answer: that is never failed over, or a revert would be retried on
every node. When every endpoint fails, the last failure is raised (a rate limit as the
node's answer), for `rpc_guard` to classify.

`observer_urls` gives the worker a second opinion: it sends through the first endpoint and
checks inclusion (receipts, nonces, block hashes) through the next, so one node that
accepts a transaction and then drops it, or forgets a block, cannot alone decide what the
worker records.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from web3 import Web3
from web3.providers import HTTPProvider, JSONBaseProvider
from web3.types import RPCEndpoint, RPCResponse

from notary.chain.connection import DEFAULT_TIMEOUT_S, NO_ANSWER, connect
from notary.chain.errors import RateLimited, node_error


class FailoverProvider(JSONBaseProvider):
    """A web3 provider over ordered endpoints; sticks to the last one that answered."""

    def __init__(self, urls: Sequence[str], timeout_s: float = DEFAULT_TIMEOUT_S) -> None:
        if not urls:
            raise ValueError("at least one RPC endpoint is needed")
        super().__init__()
        self.providers = [
            HTTPProvider(
                url, request_kwargs={"timeout": timeout_s}, exception_retry_configuration=None
            )
            for url in urls
        ]
        self._request_kwargs = {"timeout": timeout_s}  # read by notary.chain.jsonrpc
        self._current = 0

    @property
    def endpoint_uri(self) -> str:
        """The endpoint asked first now (for messages)."""
        return str(self.providers[self._current].endpoint_uri)

    @property
    def endpoint_uris(self) -> list[str]:
        """Every endpoint, in configured order."""
        return [str(p.endpoint_uri) for p in self.providers]

    def make_request(self, method: RPCEndpoint, params: Any) -> RPCResponse:
        """Ask the current endpoint, then each next one while none answers (or each
        answers that it limits requests)."""
        failure: BaseException | None = None
        limited: RPCResponse | None = None
        for step in range(len(self.providers)):
            index = (self._current + step) % len(self.providers)
            try:
                response = self.providers[index].make_request(method, params)
            except NO_ANSWER as exc:
                failure = exc
                continue
            if _rate_limited(response, self.providers[index].endpoint_uri, method):
                limited = response
                continue
            self._current = index
            return response
        if limited is not None:
            return limited
        assert failure is not None
        raise failure

    def is_connected(self, show_traceback: bool = False) -> bool:
        """Whether any endpoint answers."""
        return any(p.is_connected(show_traceback) for p in self.providers)


def _rate_limited(response: RPCResponse, url: object, method: str) -> bool:
    error = response.get("error") if isinstance(response, dict) else None
    return error is not None and isinstance(node_error(str(url), method, error), RateLimited)


def connect_endpoints(urls: Sequence[str], *, timeout_s: float = DEFAULT_TIMEOUT_S) -> Web3:
    """A Web3 client over `urls`: a plain one for a single endpoint, else failing over."""
    if len(urls) == 1:
        return connect(urls[0], timeout_s=timeout_s)
    return Web3(FailoverProvider(urls, timeout_s))


def observer_urls(urls: Sequence[str]) -> list[str]:
    """The endpoints in the order the worker checks inclusion: the sender's one last."""
    return [*urls[1:], urls[0]]


def endpoint_uris(w3: Web3) -> list[str]:
    """Every endpoint a client may ask, in order (one for a plain provider)."""
    listed = getattr(w3.provider, "endpoint_uris", None)
    if isinstance(listed, list):
        return [str(u) for u in listed]
    return [str(getattr(w3.provider, "endpoint_uri", ""))]
