"""One kept-alive HTTP/1.1 connection that POSTs JSON-RPC bodies to a node (TLS included).

Two of them, reading the same grammar (`notary.chain.http_response`): `HttpTransport`
for blocking callers and `AsyncHttpTransport` for the event loop. Neither is safe for
concurrent use: one exchange at a time (the JSON-RPC clients send one batch at a time).
A kept-alive connection the node closed meanwhile is reopened once; a non-200 answer is
not retried.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
from collections.abc import Generator
from typing import BinaryIO
from urllib.parse import SplitResult

from notary.chain.http_response import (
    MAX_LINE,
    Exactly,
    HttpError,
    HttpStatusError,
    Line,
    Need,
    Response,
    parse_response,
    request_head,
)


class _Endpoint:
    """Where the node listens, and the head of every POST to it."""

    def __init__(self, url: SplitResult, timeout_s: float) -> None:
        if url.scheme not in ("http", "https"):
            raise ValueError(f"not an http(s) URL: {url.geturl()}")
        self.host = url.hostname or "localhost"
        self.port = url.port or (443 if url.scheme == "https" else 80)
        self.tls = url.scheme == "https"
        self.timeout_s = timeout_s
        self._head = request_head(url)

    def request(self, body: bytes) -> bytes:
        return self._head + b"%d\r\n\r\n" % len(body) + body

    def close(self) -> None:
        """Drop the connection (the next post opens a new one)."""
        raise NotImplementedError

    def body_of(self, answer: Response) -> bytes:
        """The answer's body; the connection is dropped if the node will not keep it."""
        if not answer.keep_alive:
            self.close()
        return answer.body


class HttpTransport(_Endpoint):
    """POST a body, return the answer's bytes (blocking)."""

    def __init__(self, url: SplitResult, timeout_s: float) -> None:
        super().__init__(url, timeout_s)
        self._sock: socket.socket | None = None
        self._reader: BinaryIO | None = None

    def post(self, body: bytes) -> bytes:
        """The body of the node's 200 answer; OSError (HttpError) on any failure."""
        if self._sock is not None:  # kept alive: the node may have closed it meanwhile
            try:
                return self._exchange(body)
            except HttpStatusError:
                raise
            except OSError:
                pass
        self._open()
        return self._exchange(body)

    def close(self) -> None:
        """Drop the connection (the next post opens a new one)."""
        if self._reader is not None:
            self._reader.close()
        if self._sock is not None:
            self._sock.close()
        self._sock = self._reader = None

    def _open(self) -> None:
        sock = socket.create_connection((self.host, self.port), timeout=self.timeout_s)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if self.tls:
            sock = ssl.create_default_context().wrap_socket(sock, server_hostname=self.host)
        self._sock, self._reader = sock, sock.makefile("rb")

    def _exchange(self, body: bytes) -> bytes:
        assert self._sock is not None and self._reader is not None
        try:
            self._sock.sendall(self.request(body))
            answer = _drive(parse_response(), self._reader)
        except BaseException:
            self.close()
            raise
        return self.body_of(answer)


def _drive(parser: Generator[Need, bytes, Response], reader: BinaryIO) -> Response:
    need = next(parser)
    while True:
        if isinstance(need, Line):
            data = reader.readline(need.limit + 1)
        else:  # Exactly or UntilClose: a buffered read returns fewer only at EOF
            data = reader.read(need.size if isinstance(need, Exactly) else need.limit + 1)
        try:
            need = parser.send(data)
        except StopIteration as done:
            response: Response = done.value
            return response


class AsyncHttpTransport(_Endpoint):
    """POST a body, await the answer's bytes (asyncio); the whole exchange under a timeout.

    The connection belongs to the event loop that opened it; used from another loop
    (a test's, after the first one closed) it is dropped and opened anew.
    """

    def __init__(self, url: SplitResult, timeout_s: float) -> None:
        super().__init__(url, timeout_s)
        self._link: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    async def post(self, body: bytes) -> bytes:
        """The body of the node's 200 answer; OSError (HttpError, TimeoutError) on any failure."""
        async with asyncio.timeout(self.timeout_s):
            if self._link is not None and self._loop is asyncio.get_running_loop():
                try:
                    return await self._exchange(self._link, body)
                except HttpStatusError:
                    raise
                except OSError:
                    pass
            self.close()
            return await self._exchange(await self._open(), body)

    def close(self) -> None:
        """Drop the connection at once (the next post opens a new one)."""
        if self._link is not None:
            with contextlib.suppress(RuntimeError):  # its loop is closed: nothing to tell it
                self._link[1].transport.abort()
        self._link = self._loop = None

    async def _open(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        context = ssl.create_default_context() if self.tls else None
        reader, writer = await asyncio.open_connection(
            self.host, self.port, ssl=context, limit=MAX_LINE + 2
        )
        writer.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._link, self._loop = (reader, writer), asyncio.get_running_loop()
        return self._link

    async def _exchange(
        self, link: tuple[asyncio.StreamReader, asyncio.StreamWriter], body: bytes
    ) -> bytes:
        reader, writer = link
        try:
            writer.write(self.request(body))
            answer = await _drive_async(parse_response(), reader)
        except BaseException:
            self.close()
            raise
        return self.body_of(answer)


async def _drive_async(
    parser: Generator[Need, bytes, Response], reader: asyncio.StreamReader
) -> Response:
    need = next(parser)
    while True:
        try:
            if isinstance(need, Line):
                data = await reader.readuntil(b"\n")
            elif isinstance(need, Exactly):
                data = await reader.readexactly(need.size)
            else:
                data = await _until_close(reader, need.limit + 1)
        except asyncio.IncompleteReadError as exc:  # the node closed: the parser judges
            data = exc.partial
        except asyncio.LimitOverrunError:
            raise HttpError("a line of the node's answer is too long") from None
        try:
            need = parser.send(data)
        except StopIteration as done:
            response: Response = done.value
            return response


async def _until_close(reader: asyncio.StreamReader, limit: int) -> bytes:
    parts: list[bytes] = []
    total = 0
    while total < limit and (part := await reader.read(limit - total)):
        parts.append(part)
        total += len(part)
    return b"".join(parts)
