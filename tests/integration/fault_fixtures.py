"""A service whose every chain call goes through fault proxies (`faultproxy`) in front of a
real Anvil: the registry deployed directly, the API in process (a TestClient of the real
app), `notary worker` as a process of its own; each through its own proxy, so a test can
tell that a fault reached the worker."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eth_account import Account
from eth_account.signers.local import LocalAccount
from fastapi.testclient import TestClient
from pydantic import SecretStr
from web3 import Web3

from api.app import create_app
from notary.chain.connection import connect
from notary.chain.deploy import deploy_registry, grant_service_roles
from notary.chain.registry import Registry
from notary.ops.anvil import AnvilNode, start_anvil
from notary.settings.config import Settings
from notary.store.engine import Store, open_store
from notary.store.migrate import upgrade

from .faultproxy import Fault, FaultProxy

ADMIN_KEY = "fault-tests-admin-key-" + "x" * 32
BLOCK_TIME_S = 0.25
CONFIRMATIONS = 2
RPC_TIMEOUT_S = 1.0
MAX_BACKOFF_S = 1.0
"""The worker's longest pause between tries (`notary worker --max-backoff`), so a test
waits seconds, not the default half minute, for it to notice a fault is gone."""


@dataclass
class FaultyService:
    """The chain, both proxies, the API, the worker process and its log."""

    chain: AnvilNode
    w3: Web3
    """Straight to the node, past the proxies: what the test itself reads."""
    registry: Registry
    anchorer: LocalAccount
    api_proxy: FaultProxy
    worker_proxy: FaultProxy
    settings: Settings
    store: Store
    client: TestClient
    worker: subprocess.Popen[bytes]
    worker_log: Path

    @property
    def admin(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {ADMIN_KEY}"}

    @contextmanager
    def fault(self, make: Callable[[], Fault]) -> Iterator[None]:
        """The same fault on both proxies inside the block."""
        self.api_proxy.inject(make())
        self.worker_proxy.inject(make())
        try:
            yield
        finally:
            self.api_proxy.clear()
            self.worker_proxy.clear()

    def log_text(self) -> str:
        return self.worker_log.read_text(errors="replace")


def wait_until(condition: Callable[[], bool], what: str, timeout_s: float = 60.0) -> None:
    """Poll `condition` until true; fail naming `what` after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s:g} s waiting for {what}")
        time.sleep(0.05)


@contextmanager
def faulty_service(folder: Path) -> Iterator[FaultyService]:
    """Start everything; stop everything (the worker by SIGTERM) afterwards."""
    chain = start_anvil(block_time_s=BLOCK_TIME_S)
    stack: list[Callable[[], Any]] = [chain.stop]
    try:
        w3 = connect(chain.url)
        admin, anchorer = _funded(w3), _funded(w3)
        registry = Registry(w3, deploy_registry(w3, admin).address)
        grant_service_roles(registry, admin, anchorer.address)
        api_proxy, worker_proxy = FaultProxy(chain.url).start(), FaultProxy(chain.url).start()
        stack += [api_proxy.stop, worker_proxy.stop]
        settings = _settings(folder, api_proxy.url, registry.address, anchorer)
        upgrade(settings.resolved_database_url)
        store = open_store(settings.resolved_database_url)
        stack.append(store.dispose)
        worker_log = folder / "worker.log"
        worker = _start_worker(folder, settings, worker_proxy.url, worker_log)
        stack.append(lambda: _stop(worker))
        with TestClient(create_app(settings)) as client:
            yield FaultyService(
                chain,
                w3,
                registry,
                anchorer,
                api_proxy,
                worker_proxy,
                settings,
                store,
                client,
                worker,
                worker_log,
            )
    finally:
        for stop in reversed(stack):
            stop()


def _funded(w3: Web3) -> LocalAccount:
    account: LocalAccount = Account.create()
    w3.provider.make_request("anvil_setBalance", [account.address, hex(10**21)])  # type: ignore[arg-type]
    return account


def _settings(folder: Path, rpc_url: str, registry: str, anchorer: LocalAccount) -> Settings:
    return Settings(
        _env_file=None,
        data_dir=folder,
        database_url=f"sqlite:///{folder / 'notary.db'}",
        rpc_url=rpc_url,
        contract_address=registry,
        anchor_key=SecretStr(anchorer.key.hex()),
        admin_key=SecretStr(ADMIN_KEY),
        batch_interval=0.3,
        batch_max=1000,
        confirmations=CONFIRMATIONS,
        rpc_timeout=RPC_TIMEOUT_S,
        chain_poll_interval=0.0,  # every verification asks the node (no answer kept)
        rate_limit_per_s=1e6,
        rate_limit_burst=10**6,
        public_rate_limit_per_s=1e6,
        public_rate_limit_burst=10**6,
        public_url="http://testserver",
    )


def _start_worker(
    folder: Path, settings: Settings, rpc_url: str, log: Path
) -> subprocess.Popen[bytes]:
    assert settings.anchor_key is not None
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("NOTARY_")},
        "NOTARY_DATA_DIR": str(folder),
        "NOTARY_DATABASE_URL": settings.resolved_database_url,
        "NOTARY_RPC_URL": rpc_url,
        "NOTARY_CONTRACT_ADDRESS": str(settings.contract_address),
        "NOTARY_ANCHOR_KEY": settings.anchor_key.get_secret_value(),
        "NOTARY_BATCH_MAX": str(settings.batch_max),
        "NOTARY_BATCH_INTERVAL": str(settings.batch_interval),
        "NOTARY_CONFIRMATIONS": str(settings.confirmations),
        "NOTARY_RPC_TIMEOUT": str(settings.rpc_timeout),
    }
    command = [sys.executable, "-m", "notary.cli", "worker", "--max-backoff", str(MAX_BACKOFF_S)]
    with log.open("wb") as out:
        return subprocess.Popen(  # in the data dir: no .env of the repository is read
            command, cwd=folder, env=env, stdout=out, stderr=subprocess.STDOUT
        )


def _stop(worker: subprocess.Popen[bytes]) -> None:
    if worker.poll() is None:
        worker.terminate()
        try:
            worker.wait(10)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait(5)
