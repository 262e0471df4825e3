"""The API tier: one deployed registry, one SQLite store and one running app per session.

Tests stay independent by using fresh issuers (random addresses) and random digests; the
anchoring worker is drained explicitly (`env.drain()`) rather than run in a thread.
"""

from __future__ import annotations

import contextlib
import os
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from fastapi.testclient import TestClient
from pydantic import SecretStr
from web3 import Web3

from api.app import create_app
from notary.chain import Registry
from notary.chain.deploy import deploy_registry, grant_service_roles
from notary.pipeline.revocations import queue_revocations
from notary.settings.config import Settings
from notary.store.engine import Store, open_store
from notary.store.migrate import upgrade
from notary.worker.daemon import build_worker

ADMIN_KEY = "test-admin-key-" + "x" * 32
BALANCE_WEI = 1_000 * 10**18


def funded(w3: Web3) -> LocalAccount:
    """A fresh random account with test ether."""
    account: LocalAccount = Account.create()
    w3.provider.make_request("anvil_setBalance", [account.address, hex(BALANCE_WEI)])  # type: ignore[arg-type]
    return account


def api_settings(
    tmp: Path, w3: Web3, registry: str, anchorer: LocalAccount, **over: Any
) -> Settings:
    """Settings for a test app; limits high unless a test lowers them."""
    values: dict[str, Any] = {
        "data_dir": tmp,
        "database_url": f"sqlite:///{tmp / 'notary.db'}",
        "rpc_url": str(w3.provider.endpoint_uri),  # type: ignore[attr-defined]
        "contract_address": registry,
        "anchor_key": SecretStr(anchorer.key.hex()),
        "admin_key": SecretStr(ADMIN_KEY),
        "batch_interval": 0.001,
        "batch_max": 1000,
        "rate_limit_per_s": 1e6,
        "rate_limit_burst": 10**6,
        "public_rate_limit_per_s": 1e6,
        "public_rate_limit_burst": 10**6,
        "public_url": "http://testserver",
        "max_upload_bytes": 1 << 20,
        "chain_poll_interval": 0.0,  # every answer as of the newest block (see test_verify_cache)
        "stream_min_interval": 1,  # stations of 2 s intervals: tests wait for real ones to close
        "stream_backfill_window": 0,  # a station's past is sealed at the next worker step
    }
    values.update(over)
    return Settings(_env_file=None, **values)


@dataclass
class Issuer:
    """An issuer registered through the API, with its key."""

    address: str
    key: str
    account: LocalAccount
    name: str = ""
    """As registered (`ApiEnv.new_issuer` numbers a name asked for again)."""

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}


@dataclass
class ApiEnv:
    """The running app, its settings, the chain and a store for the worker."""

    client: TestClient
    settings: Settings
    registry: Registry
    store: Store
    names: Counter[str] = field(default_factory=Counter)
    """Names registered through `new_issuer`, to number a name asked for again."""

    @property
    def admin(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {ADMIN_KEY}"}

    def new_issuer(self, name: str = "Sở Nông nghiệp và Phát triển nông thôn") -> Issuer:
        """Register a fresh issuer and give it a key, through the admin API.

        No two issuers may read the same, so a name asked for again gets a number
        ("… 2", "… 3").
        """
        account: LocalAccount = Account.create()
        self.names[name] += 1
        if self.names[name] > 1:
            name = f"{name} {self.names[name]}"
        r = self.client.post(
            "/v1/issuers",
            json={"address": account.address, "name": name, "jurisdiction": "VN-CT"},
            headers=self.admin,
        )
        assert r.status_code == 201, r.text
        k = self.client.post(f"/v1/issuers/{account.address}/keys", headers=self.admin)
        assert k.status_code == 201, k.text
        return Issuer(account.address, k.json()["key"], account, name)

    def notarise(self, issuer: Issuer, metadata: dict[str, Any] | None = None) -> dict[str, Any]:
        """Notarise a random digest; the 202 body."""
        body: dict[str, Any] = {"digest": "0x" + os.urandom(32).hex()}
        if metadata is not None:
            body["metadata"] = metadata
        r = self.client.post("/v1/documents", json=body, headers=issuer.headers)
        assert r.status_code == 202, r.text
        result: dict[str, Any] = r.json()
        return result

    def drain(self, max_steps: int = 200) -> None:
        """Queue revocations, then run the worker until nothing is pending."""
        queue_revocations(self.store)
        worker = build_worker(self.settings, self.store)
        for _ in range(max_steps):
            if not worker.step():
                return
        raise AssertionError("the worker did not settle")


@pytest.fixture(scope="session")
def api_chain(w3: Web3) -> tuple[Registry, LocalAccount]:
    """A registry deployed for the API tier, and the anchoring account."""
    admin, anchorer = funded(w3), funded(w3)
    deployment = deploy_registry(w3, admin)
    registry = Registry(w3, deployment.address)
    grant_service_roles(registry, admin, anchorer.address)
    return registry, anchorer


@contextlib.contextmanager
def app_env(
    w3: Web3, api_chain: tuple[Registry, LocalAccount], tmp: Path, **over: Any
) -> Iterator[ApiEnv]:
    """An app on a fresh SQLite store in `tmp`, on the tier's registry; `over`: settings."""
    registry, anchorer = api_chain
    settings = api_settings(tmp, w3, registry.address, anchorer, **over)
    upgrade(settings.resolved_database_url)
    store = open_store(settings.resolved_database_url)
    try:
        with TestClient(create_app(settings)) as client:
            yield ApiEnv(client, settings, registry, store)
    finally:
        store.dispose()


@pytest.fixture(scope="session")
def api(
    w3: Web3, api_chain: tuple[Registry, LocalAccount], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ApiEnv]:
    """The session's app on a fresh SQLite store."""
    with app_env(w3, api_chain, tmp_path_factory.mktemp("api")) as env:
        yield env


@pytest.fixture
def issuer(api: ApiEnv) -> Issuer:
    """A fresh issuer with an API key."""
    return api.new_issuer()
