"""One kept-alive HTTP/1.1 connection that POSTs JSON-RPC bodies to a node.

`http.client` parses every response's headers through the `email` package: ~70 µs of
client CPU per call, two thirds of a verification's chain read. This reads the status
line and headers itself (only Content-Length, Transfer-Encoding and Connection matter)
and speaks plain HTTP/1.1 over a socket, TLS included. Not thread-safe: one caller at a
time (`notary.chain.jsonrpc.JsonRpc` sends through it one batch at a time).
"""

from __future__ import annotations

import socket
import ssl
from typing import BinaryIO
from urllib.parse import SplitResult

MAX_HEADER_LINES = 100
MAX_BODY_BYTES = 64 << 20
"""A node's answer larger than this is refused (a batch of checks is a few KiB)."""


class HttpError(OSError):
    """The node answered with something that is not a usable HTTP response."""


class HttpStatusError(HttpError):
    """The node answered, with a status other than 200 (not retried)."""


class HttpTransport:
    """POST a body, return the answer's bytes; reconnects once if a kept-alive link died."""

    def __init__(self, url: SplitResult, timeout_s: float) -> None:
        if url.scheme not in ("http", "https"):
            raise ValueError(f"not an http(s) URL: {url.geturl()}")
        self.host = url.hostname or "localhost"
        self.port = url.port or (443 if url.scheme == "https" else 80)
        self.tls = url.scheme == "https"
        self.timeout_s = timeout_s
        path = (url.path or "/") + (f"?{url.query}" if url.query else "")
        host = self.host if url.port is None else f"{self.host}:{url.port}"
        self._head = (
            f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
            "Accept: application/json\r\nContent-Length: "
        ).encode()
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
                self.close()
        self._open()
        try:
            return self._exchange(body)
        except BaseException:
            self.close()
            raise

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
        self._sock.sendall(self._head + b"%d\r\n\r\n" % len(body) + body)
        status, headers = _read_head(self._reader)
        if headers.get(b"transfer-encoding", b"").lower() == b"chunked":
            data = _read_chunked(self._reader)
        elif b"content-length" in headers:
            data = _read_exactly(self._reader, _length(headers[b"content-length"]))
        else:  # the body ends when the node closes the connection
            data = self._reader.read(MAX_BODY_BYTES + 1)
            headers[b"connection"] = b"close"
            if len(data) > MAX_BODY_BYTES:
                raise HttpError("the node's answer is too large")
        if headers.get(b"connection", b"").lower() == b"close":
            self.close()
        if status != 200:
            raise HttpStatusError(f"HTTP {status} from the node")
        return data


def _read_head(reader: BinaryIO) -> tuple[int, dict[bytes, bytes]]:
    """The status code and the headers (names lower-cased) of one response."""
    while True:
        line = reader.readline(65537)
        parts = line.split(None, 2)
        if len(parts) < 2 or not parts[0].startswith(b"HTTP/1.") or not parts[1].isdigit():
            raise HttpError(f"not an HTTP response: {line[:80]!r}")
        status = int(parts[1])
        headers: dict[bytes, bytes] = {}
        for _ in range(MAX_HEADER_LINES):
            line = reader.readline(65537)
            if line in (b"\r\n", b"\n", b""):
                break
            name, _, value = line.partition(b":")
            headers[name.strip().lower()] = value.strip()
        else:
            raise HttpError("too many header lines in the node's answer")
        if status != 100:  # an interim "100 Continue" is followed by the real answer
            return status, headers


def _read_chunked(reader: BinaryIO) -> bytes:
    parts: list[bytes] = []
    total = 0
    while True:
        size_line = reader.readline(1026).split(b";", 1)[0].strip()
        try:
            size = int(size_line, 16)
        except ValueError:
            raise HttpError(f"bad chunk size {size_line[:20]!r}") from None
        if size == 0:
            while reader.readline(65537) not in (b"\r\n", b"\n", b""):
                pass  # trailer fields
            return b"".join(parts)
        total += size
        if total > MAX_BODY_BYTES:
            raise HttpError("the node's answer is too large")
        parts.append(_read_exactly(reader, size))
        reader.readline(3)  # the CRLF after each chunk


def _read_exactly(reader: BinaryIO, size: int) -> bytes:
    data = reader.read(size)
    if len(data) != size:
        raise HttpError("the node closed the connection mid-answer")
    return data


def _length(value: bytes) -> int:
    if not value.isdigit() or int(value) > MAX_BODY_BYTES:
        raise HttpError(f"bad Content-Length {value[:20]!r}")
    return int(value)
