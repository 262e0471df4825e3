"""How uvicorn serves the API, the same way in `notary serve` (one process or several),
`notary dev`, `notary demo` and `notary cluster`: see `server_options`.

- A request's head (request line and headers) is bounded by MAX_HEAD_BYTES. h11 has such a
  bound (`h11_max_incomplete_event_size`); httptools, which uvicorn prefers, has none and
  holds any header whole; `BoundedHttpTools` cuts it off with 431.
- Proxy headers (X-Forwarded-For, X-Forwarded-Proto) are believed only from the proxies
  named in NOTARY_TRUSTED_PROXIES. uvicorn believes them from 127.0.0.1 by default, so any
  local client (or a proxy that passes the header through) could pick the address the
  public rate limit counts by.
"""

from __future__ import annotations

import json
from typing import Any

from api.header_limits import SLUG
from api.problems import PROBLEM_JSON, Problem
from notary.settings.config import Settings

MAX_HEAD_BYTES = 64 * 1024
"""Longest request line and headers together, as received; past it: 431 and close."""

try:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
except ImportError:  # pragma: no cover - uvicorn[standard] brings httptools
    HttpToolsProtocol = None  # type: ignore[assignment,misc]


def server_options(settings: Settings) -> dict[str, Any]:
    """uvicorn.Config / uvicorn.run keyword arguments every API server gets."""
    trusted = settings.trusted_proxies
    return {
        "http": BoundedHttpTools if HttpToolsProtocol is not None else "h11",
        "h11_max_incomplete_event_size": MAX_HEAD_BYTES,
        "proxy_headers": bool(trusted),
        "forwarded_allow_ips": trusted or None,
    }


def _head_too_large() -> bytes:
    """The whole 431 response, written by the protocol itself (no app has the request)."""
    detail = f"the request line and headers are over {MAX_HEAD_BYTES} bytes"
    body = json.dumps(Problem(431, SLUG, detail).body()).encode()
    return (
        b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
        + f"content-type: {PROBLEM_JSON}\r\ncontent-length: {len(body)}\r\n".encode()
        + b"connection: close\r\n\r\n"
        + body
    )


class HeadTooLarge(Exception):
    """Raised in a parser callback: httptools stops, and uvicorn answers (431 here)."""


if HttpToolsProtocol is not None:

    class BoundedHttpTools(HttpToolsProtocol):
        """uvicorn's httptools protocol, with a request head of at most MAX_HEAD_BYTES.

        Counted twice: exactly, from the request target and each header as the parser
        hands them over; and as received, since httptools holds a header until it ends:
        every chunk that ends while the head is still incomplete is head, so one request
        holds at most MAX_HEAD_BYTES and one chunk before it is answered.
        """

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._in_head = True
            self._head_bytes = 0  # as parsed
            self._received = 0  # as received
            self._too_large = False

        def on_message_begin(self) -> None:
            super().on_message_begin()
            self._in_head, self._head_bytes, self._received = True, 0, 0

        def on_url(self, url: bytes) -> None:
            self._count(len(url))
            super().on_url(url)

        def on_header(self, name: bytes, value: bytes) -> None:
            self._count(len(name) + len(value) + 4)  # ": " and CRLF
            super().on_header(name, value)

        def on_headers_complete(self) -> None:
            self._in_head = False
            super().on_headers_complete()

        def data_received(self, data: bytes) -> None:
            super().data_received(data)
            if self._in_head and not self.transport.is_closing():
                self._received += len(data)
                if self._received > MAX_HEAD_BYTES:
                    self._too_large = True
                    self.send_400_response("")

        def send_400_response(self, msg: str) -> None:
            if not self._too_large:
                super().send_400_response(msg)
                return
            self.logger.warning("request head over %s bytes: refused", MAX_HEAD_BYTES)
            self.transport.write(_head_too_large())
            self.transport.close()

        def _count(self, size: int) -> None:
            self._head_bytes += size
            if self._head_bytes > MAX_HEAD_BYTES:
                self._too_large = True
                raise HeadTooLarge
