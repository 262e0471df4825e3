"""A fault-injecting JSON-RPC proxy between the service and a real node (a test helper).

`FaultProxy(upstream)` listens on 127.0.0.1 (a free port, in a thread of its own) and
forwards each HTTP POST to the node. `proxy.inject(fault)` switches a fault on for the
requests it matches (by JSON-RPC method; all by default), for `times` of them or until
`proxy.clear()`; what a hosted or misbehaving node does instead of answering:

- `Status(429)`: an HTTP error (with an optional body) instead of forwarding;
- `RpcError(-32005, "limit exceeded")`: a JSON-RPC error for each call (a rate limit, a
  quota, or an error shape the service does not know, e.g. -32000 "invalid opcode");
- `Hang()`: no answer at all (the request is held until the client gives up);
- `Drop()`: forwarded, then the connection closed in the middle of the answer;
- `WrongChain(1)`: `eth_chainId` (and `net_version`) answered for another chain;
- `MangledBatch("short" | "reordered" | "no-ids" | "empty" | "object")`: a batch's answer
  with items missing, out of order, without their ids, none, or not a list;
- `Lag(3)`: the node as of 3 blocks ago: `latest` rewritten to that block for reads,
  `eth_blockNumber` answered with it, blocks and receipts after it hidden.

`proxy.seen` counts the methods asked and `proxy.injected` the faults applied.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx2

_REASONS = {200: "OK", 400: "Bad Request", 429: "Too Many Requests", 503: "Service Unavailable"}
_BLOCK_TAG_AT = {
    "eth_call": 1,
    "eth_getBalance": 1,
    "eth_getTransactionCount": 1,
    "eth_getCode": 1,
    "eth_getStorageAt": 2,
    "eth_getBlockByNumber": 0,
}
"""Where each read takes its block: the parameter `Lag` rewrites from `latest`."""


@dataclass
class Exchange:
    """One HTTP request the proxy received, and the means to answer it."""

    payload: Any
    upstream: httpx2.AsyncClient
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter

    @property
    def calls(self) -> list[dict[str, Any]]:
        items = self.payload if isinstance(self.payload, list) else [self.payload]
        return [c for c in items if isinstance(c, dict)]

    async def forward(self, payload: Any = None) -> Any:
        """The node's (parsed) answer to the request, or to `payload` instead."""
        answer = await self.upstream.post("", json=self.payload if payload is None else payload)
        return answer.json()

    async def reply(self, body: Any, status: int = 200) -> None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        reason = _REASONS.get(status, "Error")
        head = f"HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\n"
        self.writer.write(f"{head}Content-Length: {len(data)}\r\n\r\n".encode() + data)
        await self.writer.drain()


@dataclass
class Fault:
    """Something a node does instead of answering; `handle` answers (or not) in its place."""

    methods: frozenset[str] | None = field(default=None, kw_only=True)
    """The methods it hits (a batch is hit if any of its calls is); None: every method."""
    times: int | None = field(default=None, kw_only=True)
    """How many requests it hits before it switches off; None: until cleared."""
    name: str = field(default="fault", init=False)

    def matches(self, exchange: Exchange) -> bool:
        return self.methods is None or any(c.get("method") in self.methods for c in exchange.calls)

    def breaks(self, exchange: Exchange) -> bool:
        """Whether it answers `exchange` otherwise than the node would (counted)."""
        return True

    async def handle(self, exchange: Exchange) -> bool:
        """Answer `exchange`; False to close the connection afterwards."""
        await exchange.reply(await exchange.forward())
        return True


@dataclass
class Status(Fault):
    """An HTTP error status instead of the node's answer."""

    status: int = 429
    body: bytes = b"Too Many Requests"

    def __post_init__(self) -> None:
        self.name = f"http-{self.status}"

    async def handle(self, exchange: Exchange) -> bool:
        await exchange.reply(self.body, self.status)
        return True


@dataclass
class RpcError(Fault):
    """A JSON-RPC error for every call of the request, which never reaches the node."""

    code: int = -32005
    message: str = "limit exceeded"

    def __post_init__(self) -> None:
        self.name = f"rpc {self.code} {self.message}"

    async def handle(self, exchange: Exchange) -> bool:
        def error(call: dict[str, Any]) -> dict[str, Any]:
            failure = {"code": self.code, "message": self.message}
            return {"jsonrpc": "2.0", "id": call.get("id"), "error": failure}

        payload = exchange.payload
        await exchange.reply(
            [error(c) for c in exchange.calls] if isinstance(payload, list) else error(payload)
        )
        return True


@dataclass
class Hang(Fault):
    """No answer: the request is held until the client hangs up (or the proxy stops)."""

    def __post_init__(self) -> None:
        self.name = "hang"

    async def handle(self, exchange: Exchange) -> bool:
        await exchange.reader.read()  # until the client hangs up (or the proxy stops)
        return False


@dataclass
class Drop(Fault):
    """Forwarded to the node, then the connection closed halfway through the answer."""

    def __post_init__(self) -> None:
        self.name = "drop"

    async def handle(self, exchange: Exchange) -> bool:
        data = json.dumps(await exchange.forward()).encode()
        head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        exchange.writer.write(f"{head}Content-Length: {len(data)}\r\n\r\n".encode())
        exchange.writer.write(data[: len(data) // 2])
        await exchange.writer.drain()
        return False


@dataclass
class WrongChain(Fault):
    """The node's answers, except that it says it is on another chain."""

    chain_id: int = 1

    def __post_init__(self) -> None:
        self.name = "wrong-chain"

    def breaks(self, exchange: Exchange) -> bool:
        return any(c.get("method") in ("eth_chainId", "net_version") for c in exchange.calls)

    async def handle(self, exchange: Exchange) -> bool:
        answer = await exchange.forward()
        for call, item in _pairs(exchange, answer):
            if call.get("method") == "eth_chainId" and "result" in item:
                item["result"] = hex(self.chain_id)
            elif call.get("method") == "net_version" and "result" in item:
                item["result"] = str(self.chain_id)
        await exchange.reply(answer)
        return True


@dataclass
class MangledBatch(Fault):
    """A batch's answer broken one way. Lone calls are answered truly, `hold_lone_s` late,
    so that calls a client makes meanwhile queue up into the next batch."""

    how: str = "short"
    hold_lone_s: float = 0.2

    def __post_init__(self) -> None:
        self.name = f"batch-{self.how}"

    def breaks(self, exchange: Exchange) -> bool:
        return isinstance(exchange.payload, list)

    async def handle(self, exchange: Exchange) -> bool:
        if not isinstance(exchange.payload, list):
            await asyncio.sleep(self.hold_lone_s)
            await exchange.reply(await exchange.forward())
            return True
        items = await exchange.forward()
        mangled: Any
        if self.how == "short":
            mangled = items[: len(items) // 2]
        elif self.how == "reordered":
            mangled = items[::-1]
        elif self.how == "no-ids":
            mangled = [{k: v for k, v in item.items() if k != "id"} for item in items]
        elif self.how == "empty":
            mangled = []
        else:
            mangled = items[0]
        await exchange.reply(mangled)
        return True


@dataclass
class Lag(Fault):
    """The node as it was `blocks` blocks ago (sending still reaches the real node)."""

    blocks: int = 3

    def __post_init__(self) -> None:
        self.name = "lag"

    async def handle(self, exchange: Exchange) -> bool:
        head = int((await exchange.forward(_call("eth_blockNumber", [])))["result"], 16)
        seen = max(0, head - self.blocks)
        calls = exchange.calls
        hidden: set[Any] = set()
        for call in calls:
            params = call.get("params") or []
            at = _BLOCK_TAG_AT.get(str(call.get("method")))
            if at is None or len(params) <= at:
                continue
            if params[at] in ("latest", "safe", "finalized"):
                params[at] = hex(seen)
            elif isinstance(params[at], str) and _quantity(params[at]) > seen:
                hidden.add(call.get("id"))  # a block this node has not seen
        answer = await exchange.forward()
        for call, item in _pairs(exchange, answer):
            method = call.get("method")
            result = item.get("result")
            if method == "eth_blockNumber":
                item["result"] = hex(seen)
            elif call.get("id") in hidden and method == "eth_getBlockByNumber":
                item["result"] = None
            elif call.get("id") in hidden:  # what geth says of a block it does not have
                item.pop("result", None)
                item["error"] = {"code": -32000, "message": "header not found"}
            elif method == "eth_getTransactionReceipt" and isinstance(result, dict):
                if int(result["blockNumber"], 16) > seen:
                    item["result"] = None
            elif method == "eth_getLogs" and isinstance(result, list):
                item["result"] = [x for x in result if int(x["blockNumber"], 16) <= seen]
        await exchange.reply(answer)
        return True


class FaultProxy:
    """The proxy: `url` for the service, `inject`/`clear` for the test."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.seen: Counter[str] = Counter()
        self.injected: Counter[str] = Counter()
        self._fault: Fault | None = None
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._thread = threading.Thread(target=self._serve, name="fault-proxy", daemon=True)
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> FaultProxy:
        """Listen, and return once the port is open."""
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the fault proxy did not start")
        return self

    def stop(self) -> None:
        """Stop listening and cut every connection (held ones too)."""
        if self._loop.is_running():
            asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop).result(10)
            self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def inject(self, fault: Fault) -> None:
        """Switch `fault` on (in place of any other)."""
        with self._lock:
            self._fault = fault

    def clear(self) -> None:
        """Switch faults off: every request reaches the node again."""
        with self._lock:
            self._fault = None

    @contextlib.contextmanager
    def injecting(self, fault: Fault) -> Iterator[Fault]:
        """`fault` on inside the block, off after it."""
        self.inject(fault)
        try:
            yield fault
        finally:
            self.clear()

    def _take(self, exchange: Exchange) -> Fault | None:
        """The fault that answers `exchange`, counting it down."""
        with self._lock:
            fault = self._fault
            if fault is None or not fault.matches(exchange):
                return None
            if fault.times is not None:
                fault.times -= 1
                if fault.times <= 0:
                    self._fault = None
            if fault.breaks(exchange):
                self.injected[fault.name] += 1
            return fault

    def _serve(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(self._listen())
        self._ready.set()
        self._loop.run_forever()
        self._loop.close()

    async def _listen(self) -> None:
        self._upstream = httpx2.AsyncClient(base_url=self.upstream, timeout=30)
        self._server = await asyncio.start_server(self._connection, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _shutdown(self) -> None:
        assert self._server is not None
        self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._upstream.aclose()

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            while True:
                body = await _read_request(reader)
                if body is None:
                    return
                try:
                    payload = json.loads(body)
                except ValueError:
                    payload = None
                exchange = Exchange(payload, self._upstream, reader, writer)
                for call in exchange.calls:
                    self.seen[str(call.get("method"))] += 1
                fault = self._take(exchange)
                keep = await (fault or Fault()).handle(exchange)
                if not keep:
                    return
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            return
        finally:
            self._tasks.discard(task)
            writer.close()


async def _read_request(reader: asyncio.StreamReader) -> bytes | None:
    """One HTTP/1.1 request's body (Content-Length framed); None when the client closed."""
    line = await reader.readline()
    if not line:
        return None
    length = 0
    while (header := await reader.readline()) not in (b"\r\n", b""):
        name, _, value = header.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    return await reader.readexactly(length)


def _quantity(value: str) -> int:
    """A hex block number; -1 for any other block tag (`earliest`, `pending`)."""
    return int(value, 16) if value.startswith("0x") else -1


def _call(method: str, params: list[Any]) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": 0, "method": method, "params": params}


def _pairs(exchange: Exchange, answer: Any) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """Each call with its answer item (by id), for faults that rewrite answers."""
    items = answer if isinstance(answer, list) else [answer]
    by_id = {item.get("id"): item for item in items if isinstance(item, dict)}
    return [(c, by_id[c.get("id")]) for c in exchange.calls if c.get("id") in by_id]
