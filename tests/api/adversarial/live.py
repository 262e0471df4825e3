"""The app served by a real uvicorn with the options every `notary` server uses
(`api.server.server_options`), in a thread on a free port, or by `notary serve` in a
process of its own: for what only a real server shows (the request head's bound, proxy
headers, the access log, API processes that share nothing but the database)."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx2
import uvicorn

from api.app import create_app
from api.server import server_options
from notary.ops.anvil import free_port, stop_process_group
from notary.settings.config import Settings
from tests.api.conftest import ADMIN_KEY

ROOT = Path(__file__).resolve().parents[3]


@contextmanager
def served(settings: Settings, access_log: bool = False, **over: Any) -> Iterator[str]:
    """`settings`' app behind uvicorn as `notary serve` configures it; its base URL."""
    port = free_port()
    options = {**server_options(settings), **over}
    config = uvicorn.Config(
        create_app(settings),
        host="127.0.0.1",
        port=port,
        log_level="info",
        access_log=access_log,
        **options,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=f"uvicorn-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"the service did not start on port {port}")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)


def raw_request(url: str, head: bytes, timeout: float = 30.0) -> bytes:
    """Send `head` (a request line and headers, as bytes) on a new connection; all the
    bytes answered until the server closes or stops sending."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=timeout) as sock:
        # Answered and closed before all was sent: read what came.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            sock.sendall(head)
        chunks = []
        while True:
            try:
                chunk = sock.recv(65536)
            except (ConnectionResetError, TimeoutError):
                break
            if not chunk:
                break
            chunks.append(chunk)
            if b"\r\n\r\n" in b"".join(chunks) and _complete(b"".join(chunks)):
                break
        return b"".join(chunks)


def _complete(answer: bytes) -> bool:
    head, _, body = answer.partition(b"\r\n\r\n")
    for line in head.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return len(body) >= int(value)
    return False


@contextmanager
def serve_process(
    settings: Settings, cwd: Path, *args: str, env: Mapping[str, str] | None = None
) -> Iterator[str]:
    """`notary serve ARGS` in a process of its own, `settings` given as NOTARY_* variables
    (`env` added); its URL. Always stopped."""
    port = free_port()
    variables = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "NOTARY_DATA_DIR": str(settings.data_dir),
        "NOTARY_DATABASE_URL": settings.resolved_database_url,
        "NOTARY_RPC_URL": settings.rpc_url,
        "NOTARY_CONTRACT_ADDRESS": settings.contract_address or "",
        "NOTARY_ADMIN_KEY": ADMIN_KEY,
        "NOTARY_HOST": "127.0.0.1",
        "NOTARY_PORT": str(port),
        "NOTARY_RATE_LIMIT_PER_S": str(settings.rate_limit_per_s),
        "NOTARY_RATE_LIMIT_BURST": str(settings.rate_limit_burst),
        "NOTARY_PUBLIC_RATE_LIMIT_PER_S": str(settings.public_rate_limit_per_s),
        "NOTARY_PUBLIC_RATE_LIMIT_BURST": str(settings.public_rate_limit_burst),
        "NOTARY_CHAIN_POLL_INTERVAL": "0",
        **(env or {}),
    }
    log_path = cwd / f"serve-{port}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "notary.cli", "serve", "--no-access-log", *args],
            cwd=cwd,
            env=variables,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                assert process.poll() is None, log_path.read_text()
                assert time.monotonic() < deadline, "notary serve did not start"
                try:
                    if httpx2.get(url + "/healthz", timeout=1).status_code == 200:
                        break
                except httpx2.HTTPError:
                    time.sleep(0.1)
            yield url
        finally:
            stop_process_group(process.pid, timeout_s=15)
            process.wait()
