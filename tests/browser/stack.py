"""A real service for the browser tests and the page benchmark: the app served by uvicorn
on a free 127.0.0.1 port (a secure context, real requests, real headers), on a registry
deployed to a real Anvil, with SQLite; and headless Chromium driven by Playwright.

No pytest fixtures here, so `scripts/bench_page.py` starts the same stack the tests use.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import uvicorn
from eth_account.signers.local import LocalAccount
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, Playwright
from web3 import Web3

from api.app import create_app
from api.server import server_options
from notary.chain import Registry
from notary.chain.deploy import deploy_registry, grant_service_roles
from notary.ops.anvil import free_port
from notary.settings.config import Settings
from notary.store.engine import open_store
from notary.store.migrate import upgrade
from tests.api.conftest import ApiEnv, Issuer, api_settings, funded

CHROMIUM = Path(os.environ.get("NOTARY_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@dataclass(frozen=True)
class Chain:
    """A registry deployed for the pages, with the accounts that deployed and anchor."""

    registry: Registry
    admin: LocalAccount
    anchorer: LocalAccount


def deploy(w3: Web3, admin: LocalAccount | None = None) -> Chain:
    """Deploy a registry; the same fresh `admin` on another node gives the same address."""
    admin = admin or funded(w3)
    anchorer = funded(w3)
    deployment = deploy_registry(w3, admin)
    registry = Registry(w3, deployment.address)
    grant_service_roles(registry, admin, anchorer.address)
    return Chain(registry, admin, anchorer)


@contextmanager
def serve(settings: Settings, port: int) -> Iterator[str]:
    """The app for `settings` served by uvicorn in a thread; its base URL. Always stopped."""
    config = uvicorn.Config(
        create_app(settings),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        access_log=False,
        **server_options(settings),
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


@dataclass
class Site:
    """A served app and an API client on the same database (to register and notarise)."""

    url: str
    env: ApiEnv

    @property
    def settings(self) -> Settings:
        return self.env.settings

    def notarise_bytes(
        self,
        issuer: Issuer,
        content: bytes,
        metadata: dict[str, Any] | None = None,
        public: list[str] | None = None,
    ) -> dict[str, Any]:
        """Notarise `content` by its SHA-256 (the service never sees the bytes); the 202 body."""
        body: dict[str, Any] = {"digest": "0x" + hashlib.sha256(content).hexdigest()}
        if metadata is not None:
            body["metadata"] = metadata
        if public is not None:
            body["public"] = public
        r = self.env.client.post("/v1/documents", json=body, headers=issuer.headers)
        assert r.status_code == 202, r.text
        result: dict[str, Any] = r.json()
        return result

    def receipt(self, issuer: Issuer, leaf: str) -> dict[str, Any]:
        """The document's current receipt, as its issuer downloads it."""
        r = self.env.client.get(f"/v1/documents/{leaf}/receipt", headers=issuer.headers)
        assert r.status_code == 200, r.text
        result: dict[str, Any] = r.json()
        return result


@contextmanager
def site(
    tmp: Path, w3: Web3, chain: Chain, rpc_url: str | None = None, **over: Any
) -> Iterator[Site]:
    """A served app on a fresh SQLite store in `tmp`, plus its API client."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    values: dict[str, Any] = {"public_url": url, "public_rpc_url": rpc_url, **over}
    settings = api_settings(tmp, w3, chain.registry.address, chain.anchorer, **values)
    upgrade(settings.resolved_database_url)
    store = open_store(settings.resolved_database_url)
    try:
        with TestClient(create_app(settings)) as client, serve(settings, port) as base:
            yield Site(base, ApiEnv(client, settings, chain.registry, store))
    finally:
        store.dispose()


@contextmanager
def sibling(base: Site, **over: Any) -> Iterator[str]:
    """Another app on `base`'s database and keys with some settings changed (confirmations,
    RPC URLs), served on its own port; its base URL."""
    port = free_port()
    values = {**base.settings.model_dump(), "public_url": f"http://127.0.0.1:{port}", **over}
    with serve(Settings(_env_file=None, **values), port) as url:
        yield url


def launch(playwright: Playwright, extra_args: list[str] | None = None) -> Browser:
    """Debian's Chromium, headless; a clear failure when it is missing."""
    if not CHROMIUM.is_file():
        raise RuntimeError(
            f"Chromium is not installed at {CHROMIUM}: run `make chromium` (apt-get install "
            "chromium), or point NOTARY_CHROMIUM at the binary"
        )
    return playwright.chromium.launch(
        executable_path=str(CHROMIUM), args=[*CHROMIUM_ARGS, *(extra_args or [])]
    )
