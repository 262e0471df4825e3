"""Lean JSON-RPC clients for hot reads, over pooled httpx connections (notary.chain.transport).

web3's provider goes through `requests` and its middleware on every call. `JsonRpc` is
the blocking client (behind `Registry.check` for `notary verify` and the worker);
`AsyncJsonRpc` serves the API's event loop, where every verification makes a call:
calls made while a batch is in flight go out together, as one JSON-RPC batch, when it
returns. A node spends ~95 µs on a lone `eth_call` request (Anvil, measured) and ~33 µs
per call in a batch of 16; nothing waits on a timer, so an idle client sends a lone call
at once, as a plain (non-batch) request.

Both speak to http(s) endpoints, through a proxy where the environment names one; an
endpoint of another kind (IPC, WebSocket) goes through web3's provider. Over several
endpoints (`notary.chain.endpoints.FailoverProvider`) an exchange that gets no answer is
sent to the next endpoint, which is then asked first.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any
from urllib.parse import SplitResult, urlsplit

from web3 import Web3
from web3.types import RPCEndpoint

from notary.chain.connection import DEFAULT_TIMEOUT_S, endpoint_of, one_line, rpc_guard
from notary.chain.endpoints import endpoint_uris
from notary.chain.errors import RpcUnavailable
from notary.chain.transport import AsyncHttpTransport, HttpTransport
from notary.coalesce import Coalescer

MAX_BATCH = 50
"""Most calls in one batch request (hosted nodes commonly accept 50-100)."""


class JsonRpc:
    """Blocking JSON-RPC calls (from any thread) over pooled kept-alive connections."""

    def __init__(self, w3: Web3) -> None:
        self.w3 = w3
        urls, timeout_s = _direct_endpoints(w3)
        self._http = [HttpTransport(url, timeout_s) for url in urls]
        self._current = 0

    def request(self, method: str, params: list[Any]) -> Any:
        """The JSON-RPC answer (an object with `result` or `error`); RpcUnavailable if none."""
        if not self._http:
            with rpc_guard(self.w3):
                return self.w3.provider.make_request(RPCEndpoint(method), params)
        body = json.dumps(_envelope(0, method, params)).encode()
        failure: Exception | None = None
        for step in range(len(self._http)):
            index = (self._current + step) % len(self._http)
            try:
                answer = json.loads(self._http[index].post(body))
            except (OSError, ValueError) as exc:
                failure = exc
                continue
            self._current = index
            return answer
        assert failure is not None
        raise _unavailable(self.w3, failure) from failure

    def close(self) -> None:
        """Close the pooled connections."""
        for http in self._http:
            http.close()


class AsyncJsonRpc:
    """JSON-RPC calls from the event loop; concurrent callers are batched together."""

    def __init__(self, w3: Web3) -> None:
        self.w3 = w3
        urls, timeout_s = _direct_endpoints(w3)
        self._http = [AsyncHttpTransport(url, timeout_s) for url in urls]
        self._current = 0
        self._blocking = JsonRpc(w3) if not urls else None
        self._calls: Coalescer[tuple[str, list[Any]], Any] = Coalescer(self._exchange, MAX_BATCH)

    async def request(self, method: str, params: list[Any]) -> Any:
        """The JSON-RPC answer (an object with `result` or `error`); RpcUnavailable if none."""
        if self._blocking is not None:
            return await asyncio.to_thread(self._blocking.request, method, params)
        return await self._calls.ask((method, params))

    def close(self) -> None:
        """Forget the pooled connections (they close with their event loop)."""
        for http in self._http:
            http.close()

    async def _exchange(self, batch: list[tuple[str, list[Any]]]) -> list[Any]:
        """The answers to a batch of calls, in order: one request for all of them."""
        try:
            if len(batch) == 1:
                return [await self._post(_envelope(0, *batch[0]))]
            calls = [_envelope(i, method, params) for i, (method, params) in enumerate(batch)]
            answers = _in_order(await self._post(calls), len(batch))
            if answers is not None:
                return answers
            return [await self._post(call) for call in calls]  # batches refused: one by one
        except (OSError, ValueError) as exc:
            raise _unavailable(self.w3, exc) from exc

    async def _post(self, payload: object) -> Any:
        """The answer of the current endpoint, else of the next that answers."""
        body = json.dumps(payload).encode()
        failure: Exception | None = None
        for step in range(len(self._http)):
            index = (self._current + step) % len(self._http)
            try:
                answer = json.loads(await self._http[index].post(body))
            except (OSError, ValueError) as exc:
                failure = exc
                continue
            self._current = index
            return answer
        assert failure is not None
        raise failure


def _envelope(call_id: int, method: str, params: list[Any]) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": call_id, "method": method, "params": params}


def _in_order(answers: object, count: int) -> list[Any] | None:
    """A batch's answers in call order (ids 0..count-1); None if the node refused batches."""
    if not isinstance(answers, list):
        return None
    by_id = {a.get("id"): a for a in answers if isinstance(a, dict)}
    missing = {"error": {"message": "no answer in the batch"}}
    return [by_id.get(i, missing) for i in range(count)]


def _unavailable(w3: Web3, exc: BaseException) -> RpcUnavailable:
    failure = RpcUnavailable(endpoint_of(w3), one_line(exc))
    failure.__cause__ = exc
    return failure


def _direct_endpoints(w3: Web3) -> tuple[list[SplitResult], float]:
    """The provider's URLs if all are http(s) (the lean client reaches them; else none),
    and its timeout."""
    urls = [urlsplit(u) for u in endpoint_uris(w3)]
    kwargs = getattr(w3.provider, "_request_kwargs", None) or {}
    timeout_s = float(kwargs.get("timeout", DEFAULT_TIMEOUT_S))
    direct = all(url.scheme in ("http", "https") for url in urls)
    return (urls if direct else []), timeout_s
