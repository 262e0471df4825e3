"""Keep-alive HTTP/1.1 exchanges written by hand, for the load drivers only.

`bench_api.py` and `load.py` send thousands of requests a second from the machine that
serves them; a full client (httpx2, which everything else uses) spends several times the
CPU per request that these few lines do, and that CPU would be taken from the service
being measured. Only what the service sends is read: a status line, headers and a body of
`Content-Length` bytes (never chunked), on a connection it keeps open.
"""

from __future__ import annotations

import asyncio


def post(path: str, body: bytes, key: str | None = None, host: str = "bench") -> bytes:
    """One POST with a JSON body (and the bearer key, when given), ready to send."""
    auth = f"Authorization: Bearer {key}\r\n" if key else ""
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {host}\r\n{auth}Content-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


def get(path: str, key: str | None = None, host: str = "bench") -> bytes:
    """One GET (with the bearer key, when given), ready to send."""
    auth = f"Authorization: Bearer {key}\r\n" if key else ""
    return f"GET {path} HTTP/1.1\r\nHost: {host}\r\n{auth}\r\n".encode()


async def read_answer(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    """The status and body of the next answer on the connection (IncompleteReadError
    or ValueError when the connection broke or the answer is not what the service sends)."""
    status_line = await reader.readline()
    length = 0
    while (line := await reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.partition(b":")
        if name.lower() == b"content-length":
            length = int(value)
    return int(status_line.split()[1]), await reader.readexactly(length)
