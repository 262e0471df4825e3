"""Lean JSON-RPC clients for hot reads, over pooled httpx2 connections (notary.chain.transport).

web3's provider goes through `requests` and its middleware on every call. `JsonRpc` is
the blocking client (behind `Registry.check` for `notary verify` and the worker);
`AsyncJsonRpc` serves the API's event loop, where every verification makes a call:
calls made while a batch is in flight go out together, as one JSON-RPC batch, when it
returns, since a node answers a call in a batch for a fraction of what a lone request
costs it; nothing waits on a timer, so an idle client sends a lone call at once, as a
plain (non-batch) request.

Both speak to http(s) endpoints, through a proxy where the environment names one; an
endpoint of another kind (IPC, WebSocket) goes through web3's provider. Over several
endpoints (`notary.chain.endpoints.FailoverProvider`) an exchange that gets no usable
answer (none, an HTTP error, a rate limit, garbage) is sent to the next endpoint, which is
then asked first.

An answer reaches a caller only if it is the answer to that caller's call: a lone call's
answer must carry its id, and a batch's answers are matched to calls by id. A batch answer
that is not a list, or holds an item for a call that was not asked (or two for one), is no
answer to any of its calls; a call the batch left unanswered fails alone. Every such
failure is a `ChainError` (`notary.chain.errors`), never an IndexError or KeyError.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping, Sequence
from typing import Any, TypeGuard
from urllib.parse import SplitResult, urlsplit

from web3 import Web3
from web3.types import RPCEndpoint

from notary.chain.connection import DEFAULT_TIMEOUT_S, rpc_guard
from notary.chain.endpoints import endpoint_uris
from notary.chain.errors import (
    BadAnswer,
    ChainError,
    RateLimited,
    RpcUnavailable,
    http_failure,
    node_error,
)
from notary.chain.transport import AsyncHttpTransport, HttpError, HttpStatusError, HttpTransport
from notary.util.coalesce import Coalescer

MAX_BATCH = 50
"""Most calls in one batch request (hosted nodes commonly accept 50-100)."""
_LONE_ID = 0
"""The id of a lone call (ids of a batch's calls are their places in it)."""

_NEITHER = "an answer with neither a result nor an error"
Call = tuple[str, list[Any]]
"""A method and its parameters."""
Answer = dict[str, Any]
"""A JSON-RPC answer object: `id` and either `result` or `error`."""


class JsonRpc:
    """Blocking JSON-RPC calls (from any thread) over pooled kept-alive connections."""

    def __init__(self, w3: Web3) -> None:
        self.w3 = w3
        urls, timeout_s = _direct_endpoints(w3)
        self._http = [HttpTransport(url, timeout_s) for url in urls]
        self._current = 0

    def request(self, method: str, params: list[Any]) -> Answer:
        """The node's answer to this call (its `result` or its `error`); ChainError if none."""
        if not self._http:
            with rpc_guard(self.w3, method):
                return dict(self.w3.provider.make_request(RPCEndpoint(method), params))
        body = json.dumps(_envelope(_LONE_ID, method, params)).encode()
        failure: ChainError | None = None
        for index in _order(self._current, len(self._http)):
            http = self._http[index]
            try:
                try:
                    answer = _parse(http.url, method, http.post(body))
                except HttpError as exc:
                    raise _transport_failure(http.url, method, exc) from exc
                answer = lone_answer(answer, http.url, method)
            except ChainError as exc:
                failure = exc
                continue
            self._current = index
            return answer
        assert failure is not None
        raise failure

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
        self._calls: Coalescer[Call, Answer] = Coalescer(self._exchange, MAX_BATCH)

    async def request(self, method: str, params: list[Any]) -> Answer:
        """The node's answer to this call (its `result` or its `error`); ChainError if none."""
        if self._blocking is not None:
            return await asyncio.to_thread(self._blocking.request, method, params)
        return await self._calls.ask((method, params))

    def close(self) -> None:
        """Forget the pooled connections (they close with their event loop)."""
        for http in self._http:
            http.close()

    async def _exchange(self, batch: list[Call]) -> list[Answer | Exception]:
        """The answers to a batch of calls, in order: one request for all of them."""
        if len(batch) == 1:
            return [await self._lone(*batch[0])]
        methods = [method for method, _ in batch]
        calls = [_envelope(i, method, params) for i, (method, params) in enumerate(batch)]
        url, answer = await self._post(calls, "a batch")
        matched = batch_answers(answer, methods, url)
        if matched is not None:
            return matched
        # The node refused batches: one request per call, each failing alone.
        return [await self._lone(*call) for call in batch]

    async def _lone(self, method: str, params: list[Any]) -> Answer | Exception:
        """One call's answer, or the ChainError saying why there is none."""
        try:
            url, answer = await self._post(_envelope(_LONE_ID, method, params), method)
            return lone_answer(answer, url, method)
        except ChainError as exc:
            return exc

    async def _post(self, payload: object, method: str) -> tuple[str, object]:
        """The parsed answer of the current endpoint, else of the next that answers."""
        body = json.dumps(payload).encode()
        failure: ChainError | None = None
        for index in _order(self._current, len(self._http)):
            http = self._http[index]
            try:
                try:
                    answer = _parse(http.url, method, await http.post(body))
                except HttpError as exc:
                    raise _transport_failure(http.url, method, exc) from exc
                _raise_if_rate_limited(answer, http.url, method)
            except ChainError as exc:
                failure = exc
                continue
            self._current = index
            return http.url, answer
        assert failure is not None
        raise failure


def lone_answer(answer: object, rpc_url: str, method: str) -> Answer:
    """`answer` if it is the answer to a lone call (its id, a result or an error); else
    the ChainError saying what it is instead (a rate limit is raised, to fail over)."""
    _raise_if_rate_limited(answer, rpc_url, method)
    if not isinstance(answer, dict):
        raise BadAnswer(rpc_url, method, f"{_kind(answer)} instead of an answer object")
    call_id = answer.get("id")
    unattributed = call_id is None and "error" in answer  # e.g. a request it could not parse
    if not unattributed and not (type(call_id) is int and call_id == _LONE_ID):
        raise BadAnswer(rpc_url, method, f"the answer to another call (id {call_id!r})")
    if ("result" in answer) == ("error" in answer):
        raise BadAnswer(rpc_url, method, _NEITHER)
    return answer


def batch_answers(
    answer: object, methods: Sequence[str], rpc_url: str
) -> list[Answer | Exception] | None:
    """Each call's answer from a batch's answer, matched by id (call i has id i); a
    ChainError in place of a call the batch did not answer. None if the node refused the
    batch as a whole (send the calls one by one); every call fails with the node's answer if
    that refusal is a rate limit, and with BadAnswer if the answer cannot be matched."""
    count = len(methods)

    def everyone(why: str) -> list[Answer | Exception]:
        return [BadAnswer(rpc_url, m, f"the batch of {count} calls got {why}") for m in methods]

    if isinstance(answer, dict) and "error" in answer and "result" not in answer:
        refusal = node_error(rpc_url, "a batch", answer["error"])
        return [refusal] * count if isinstance(refusal, RateLimited) else None
    if not isinstance(answer, list):
        return everyone(f"{_kind(answer)} instead of a list of answers")
    by_id: dict[int, Answer] = {}
    unattributed: list[object] = []  # errors the node could not tie to a call (id null)
    for item in answer:
        if not isinstance(item, dict):
            return everyone(f"{_kind(item)} among its answers")
        call_id = item.get("id")
        if call_id is None and "error" in item:
            unattributed.append(item["error"])
            continue
        if not _is_call_id(call_id, count):
            return everyone(f"an answer to a call it did not send (id {call_id!r})")
        if call_id in by_id:
            return everyone(f"two answers to call {call_id}")
        by_id[call_id] = item
    matched: list[Answer | Exception] = []
    for call_id, method in enumerate(methods):
        item = by_id.get(call_id)
        if item is None:
            matched.append(
                node_error(rpc_url, method, unattributed[0])
                if unattributed
                else BadAnswer(
                    rpc_url, method, f"no answer to it in the batch ({len(by_id)} of {count})"
                )
            )
        elif ("result" in item) == ("error" in item):
            matched.append(BadAnswer(rpc_url, method, _NEITHER))
        else:
            matched.append(item)
    return matched


def _is_call_id(value: object, count: int) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < count


def _raise_if_rate_limited(answer: object, rpc_url: str, method: str) -> None:
    """A whole answer that is a rate-limit error is raised, so the next endpoint is asked."""
    if isinstance(answer, Mapping) and "error" in answer and "result" not in answer:
        failure = node_error(rpc_url, method, answer["error"])
        if isinstance(failure, RateLimited):
            raise failure


def _parse(rpc_url: str, method: str, body: bytes) -> object:
    try:
        return json.loads(body)
    except ValueError as exc:
        shown = body[:60].decode("utf-8", "replace")
        raise BadAnswer(rpc_url, method, f"not JSON: {shown!r}…") from exc


def _transport_failure(rpc_url: str, method: str, exc: HttpError) -> ChainError:
    if isinstance(exc, HttpStatusError):
        return http_failure(rpc_url, method, exc.status, exc.body)
    return RpcUnavailable(rpc_url, str(exc) or type(exc).__name__)


def _order(current: int, count: int) -> list[int]:
    """Endpoint indexes, the current one first."""
    return [(current + step) % count for step in range(count)]


def _kind(value: object) -> str:
    """What a JSON value is, with its article: `an object`, `null`."""
    if isinstance(value, bool):
        return "a boolean"
    kinds = {dict: "an object", list: "a list", str: "a string", int: "a number", float: "a number"}
    return kinds.get(type(value), "null" if value is None else type(value).__name__)


def _envelope(call_id: int, method: str, params: list[Any]) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": call_id, "method": method, "params": params}


def _direct_endpoints(w3: Web3) -> tuple[list[SplitResult], float]:
    """The provider's URLs if all are http(s) (the lean client reaches them; else none),
    and its timeout."""
    urls = [urlsplit(u) for u in endpoint_uris(w3)]
    kwargs = getattr(w3.provider, "_request_kwargs", None) or {}
    timeout_s = float(kwargs.get("timeout", DEFAULT_TIMEOUT_S))
    direct = all(url.scheme in ("http", "https") for url in urls)
    return (urls if direct else []), timeout_s
