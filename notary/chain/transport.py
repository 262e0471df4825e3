"""POST JSON-RPC bodies to a node over httpx2: pooled, kept-alive connections, TLS, HTTP/2
where the node offers it, and the proxy environment (HTTPS_PROXY, NO_PROXY) honoured.

`HttpTransport` serves blocking callers (safe from several threads: the pool gives each
exchange a connection); `AsyncHttpTransport` serves one event loop. Both only carry
reads (`eth_call`, `eth_blockNumber`, `eth_chainId`; transactions go through web3's
provider), so an exchange whose connection broke before an answer came is retried once,
on a fresh connection: a kept-alive connection the node closed meanwhile is the common
case. A non-200 answer is not retried. Every failure is an `HttpError`, an OSError, so
callers that catch OSError keep working.
"""

from __future__ import annotations

import asyncio
from urllib.parse import SplitResult

import httpx2

MAX_ERROR_BODY = 4096
"""Bytes of a non-200 answer's body kept for the error (enough for a JSON-RPC error)."""
MAX_POOL = 16
"""Connections kept per transport: the JSON-RPC clients send batches, so few are used."""
_HEADERS = {"content-type": "application/json", "accept": "application/json"}
_RETRIED = (httpx2.RemoteProtocolError, httpx2.ReadError, httpx2.WriteError)
"""Failures after which the node may well answer on a new connection."""


class HttpError(OSError):
    """No usable answer came from the node (connection, TLS, protocol or status)."""


class HttpStatusError(HttpError):
    """The node answered, with a status other than 200 (not retried); its body may hold a
    JSON-RPC error (providers answer rate limits as HTTP 429 with one)."""

    def __init__(self, status: int, body: bytes) -> None:
        super().__init__(f"the node answered HTTP {status}")
        self.status = status
        self.body = body[:MAX_ERROR_BODY]


class HttpTimeout(HttpError, TimeoutError):
    """The node did not answer within the transport's timeout."""


class _Endpoint:
    """Where the node listens, and how long an exchange may take."""

    def __init__(self, url: SplitResult, timeout_s: float) -> None:
        if url.scheme not in ("http", "https"):
            raise ValueError(f"not an http(s) URL: {url.geturl()}")
        self.url = url.geturl()
        self.timeout_s = timeout_s

    def _options(self) -> dict[str, object]:
        return {
            "timeout": self.timeout_s,
            "limits": httpx2.Limits(max_connections=MAX_POOL, max_keepalive_connections=MAX_POOL),
            "http2": True,
            "headers": _HEADERS,
        }


class HttpTransport(_Endpoint):
    """POST a body, return the answer's bytes (blocking)."""

    def __init__(self, url: SplitResult, timeout_s: float) -> None:
        super().__init__(url, timeout_s)
        self._client = httpx2.Client(**self._options())  # type: ignore[arg-type]

    def post(self, body: bytes) -> bytes:
        """The body of the node's 200 answer; HttpError on any failure."""
        try:
            try:
                answer = self._client.post(self.url, content=body)
            except _RETRIED:
                answer = self._client.post(self.url, content=body)
        except httpx2.HTTPError as exc:
            raise _failure(exc) from exc
        return _body(answer)

    def close(self) -> None:
        """Close every pooled connection."""
        self._client.close()


class AsyncHttpTransport(_Endpoint):
    """POST a body, await the answer's bytes (asyncio); the whole exchange under a timeout.

    Its pool belongs to the event loop that first used it; used from another loop (a
    test's, after the first one closed) the pool is dropped and opened anew.
    """

    def __init__(self, url: SplitResult, timeout_s: float) -> None:
        super().__init__(url, timeout_s)
        self._client: httpx2.AsyncClient | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    async def post(self, body: bytes) -> bytes:
        """The body of the node's 200 answer; HttpError on any failure."""
        client = self._client_for(asyncio.get_running_loop())
        try:
            async with asyncio.timeout(self.timeout_s):
                try:
                    answer = await client.post(self.url, content=body)
                except _RETRIED:
                    answer = await client.post(self.url, content=body)
        except TimeoutError as exc:
            raise HttpTimeout(f"no answer within {self.timeout_s:g} s") from exc
        except httpx2.HTTPError as exc:
            raise _failure(exc) from exc
        return _body(answer)

    def close(self) -> None:
        """Forget the pool; its connections close with their loop or when collected."""
        self._client = self._loop = None

    async def aclose(self) -> None:
        """Close every pooled connection (on the loop that opened them)."""
        if self._client is not None and self._loop is asyncio.get_running_loop():
            await self._client.aclose()
        self.close()

    def _client_for(self, loop: asyncio.AbstractEventLoop) -> httpx2.AsyncClient:
        if self._client is None or self._loop is not loop:
            self._client = httpx2.AsyncClient(**self._options())  # type: ignore[arg-type]
            self._loop = loop
        return self._client


def _body(answer: httpx2.Response) -> bytes:
    if answer.status_code != 200:
        raise HttpStatusError(answer.status_code, answer.content)
    return answer.content


def _failure(exc: httpx2.HTTPError) -> HttpError:
    """The HttpError that says what went wrong, in one line."""
    if isinstance(exc, httpx2.TimeoutException):
        return HttpTimeout(f"no answer in time ({type(exc).__name__})")
    cause = exc.__context__ if exc.__context__ is not None else exc
    return HttpError(f"{type(exc).__name__}: {cause}".strip())
