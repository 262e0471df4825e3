"""Fixtures for the integration tier: a deployed registry and a migrated store per test,
and nodes of every implementation (`devnode`, `interval_devnode`) for the chain tests
that must hold on any of them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import Web3

from notary.chain.connection import connect
from notary.ops.devnodes import NODE_KINDS, DevNode, start_node

from .worker_env import WorkerEnv, make_env

NODE_BALANCE_WEI = 10 * 10**18  # a dev account (10,000 ether) pays for 1,000 of them
INTERVAL_BLOCK_TIME_S = 1


@pytest.fixture
def env(
    w3: Web3, fund: Callable[[], LocalAccount], tmp_path: Path, database_url: str
) -> Iterator[WorkerEnv]:
    """Runs each test on SQLite and on PostgreSQL."""
    yield from make_env(w3, fund, tmp_path, database_url)


@pytest.fixture(scope="session", params=NODE_KINDS)
def devnode(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[DevNode]:
    """A node of each implementation mining a block per transaction, stopped afterwards."""
    yield from _node(request.param, None, tmp_path_factory)


@pytest.fixture(scope="session", params=NODE_KINDS)
def interval_devnode(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[DevNode]:
    """A node of each implementation mining a block every second, as a network does."""
    yield from _node(request.param, INTERVAL_BLOCK_TIME_S, tmp_path_factory)


def _node(
    kind: str, block_time_s: float | None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[DevNode]:
    log = tmp_path_factory.mktemp(f"{kind}-node") / "node.log"
    node = start_node(kind, block_time_s=block_time_s, log_file=log)
    try:
        yield node
    finally:
        node.stop()


def funder(node: DevNode) -> Callable[[], LocalAccount]:
    """Fresh random accounts paid by a transfer from the node's dev account (any node)."""

    def make() -> LocalAccount:
        account: LocalAccount = Account.create()
        node.fund([account.address], NODE_BALANCE_WEI)
        return account

    return make


@pytest.fixture
def node_env(devnode: DevNode, tmp_path: Path) -> Iterator[WorkerEnv]:
    """A deployed registry on each kind of node and a SQLite store."""
    yield from make_env(connect(devnode.url), funder(devnode), tmp_path)


@pytest.fixture
def interval_env(interval_devnode: DevNode, tmp_path: Path) -> Iterator[WorkerEnv]:
    """A deployed registry on each kind of node mining every second, and a SQLite store."""
    yield from make_env(connect(interval_devnode.url), funder(interval_devnode), tmp_path)
