"""Fixtures for the integration tier: a deployed registry and a migrated store per test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from eth_account.signers.local import LocalAccount
from web3 import Web3

from .worker_env import WorkerEnv, make_env


@pytest.fixture
def env(
    w3: Web3, fund: Callable[[], LocalAccount], tmp_path: Path, database_url: str
) -> Iterator[WorkerEnv]:
    """Runs each test on SQLite and on PostgreSQL."""
    yield from make_env(w3, fund, tmp_path, database_url)
