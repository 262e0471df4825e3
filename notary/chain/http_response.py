"""The HTTP/1.1 response grammar a JSON-RPC node answers in, without I/O.

`http.client` parses every response's headers through the `email` package: ~70 µs of
client CPU per call, two thirds of a verification's chain read. This reads the status
line and headers itself (only Content-Length, Transfer-Encoding and Connection matter).

`parse_response` is a generator: it yields what it needs next (`Line(limit)`,
`Exactly(n)` or `UntilClose(limit)`) and is sent the bytes read, so the blocking
transport and the asyncio one read the same grammar with their own sockets.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from urllib.parse import SplitResult

MAX_LINE = 65536
MAX_HEADER_LINES = 100
MAX_BODY_BYTES = 64 << 20
"""A node's answer larger than this is refused (a batch of checks is a few KiB)."""


class HttpError(OSError):
    """The node answered with something that is not a usable HTTP response."""


class HttpStatusError(HttpError):
    """The node answered, with a status other than 200 (not retried)."""


@dataclass(frozen=True)
class Line:
    """Read one line of at most `limit` bytes (shorter only at the end of the stream)."""

    limit: int


@dataclass(frozen=True)
class Exactly:
    """Read exactly `size` bytes (fewer only at the end of the stream)."""

    size: int


@dataclass(frozen=True)
class UntilClose:
    """Read until the node closes the connection, or more than `limit` bytes."""

    limit: int


Need = Line | Exactly | UntilClose


@dataclass(frozen=True)
class Response:
    """A complete 200 answer's body, and whether the connection may carry another."""

    body: bytes
    keep_alive: bool


def request_head(url: SplitResult) -> bytes:
    """A POST's head for `url`, up to and including `Content-Length: ` (the length follows)."""
    path = (url.path or "/") + (f"?{url.query}" if url.query else "")
    host = url.hostname or "localhost"
    authority = host if url.port is None else f"{host}:{url.port}"
    return (
        f"POST {path} HTTP/1.1\r\nHost: {authority}\r\nContent-Type: application/json\r\n"
        "Accept: application/json\r\nContent-Length: "
    ).encode()


def parse_response() -> Generator[Need, bytes, Response]:
    """Read one response; HttpStatusError (after reading its body) for a status other than 200."""
    status, headers = yield from _head()
    if headers.get(b"transfer-encoding", b"").lower() == b"chunked":
        body = yield from _chunked()
    elif b"content-length" in headers:
        size = _length(headers[b"content-length"])
        body = yield Exactly(size)
        _complete(body, size)
    else:  # the body ends when the node closes the connection
        body = yield UntilClose(MAX_BODY_BYTES)
        headers[b"connection"] = b"close"
        if len(body) > MAX_BODY_BYTES:
            raise HttpError("the node's answer is too large")
    if status != 200:
        raise HttpStatusError(f"HTTP {status} from the node")
    return Response(body, headers.get(b"connection", b"").lower() != b"close")


def _head() -> Generator[Need, bytes, tuple[int, dict[bytes, bytes]]]:
    """The status code and the headers (names lower-cased) of one response."""
    while True:
        line = yield Line(MAX_LINE)
        parts = line.split(None, 2)
        if len(parts) < 2 or not parts[0].startswith(b"HTTP/1.") or not parts[1].isdigit():
            raise HttpError(f"not an HTTP response: {line[:80]!r}")
        status = int(parts[1])
        headers: dict[bytes, bytes] = {}
        for _ in range(MAX_HEADER_LINES):
            line = yield Line(MAX_LINE)
            if line in (b"\r\n", b"\n", b""):
                break
            name, _, value = line.partition(b":")
            headers[name.strip().lower()] = value.strip()
        else:
            raise HttpError("too many header lines in the node's answer")
        if status != 100:  # an interim "100 Continue" is followed by the real answer
            return status, headers


def _chunked() -> Generator[Need, bytes, bytes]:
    parts: list[bytes] = []
    total = 0
    while True:
        size_line = (yield Line(1026)).split(b";", 1)[0].strip()
        try:
            size = int(size_line, 16)
        except ValueError:
            raise HttpError(f"bad chunk size {size_line[:20]!r}") from None
        if size == 0:
            while (yield Line(MAX_LINE)) not in (b"\r\n", b"\n", b""):
                pass  # trailer fields
            return b"".join(parts)
        total += size
        if total > MAX_BODY_BYTES:
            raise HttpError("the node's answer is too large")
        chunk = yield Exactly(size)
        parts.append(_complete(chunk, size))
        yield Line(3)  # the CRLF after each chunk


def _complete(data: bytes, size: int) -> bytes:
    if len(data) != size:
        raise HttpError("the node closed the connection mid-answer")
    return data


def _length(value: bytes) -> int:
    if not value.isdigit() or int(value) > MAX_BODY_BYTES:
        raise HttpError(f"bad Content-Length {value[:20]!r}")
    return int(value)
