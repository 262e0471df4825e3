"""The service makes its data dir private (0700) before it writes keys or a database there."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from eth_account.signers.local import LocalAccount
from fastapi.testclient import TestClient
from web3 import Web3

from api.app import create_app
from notary.chain import Registry
from tests.api.conftest import api_settings


def test_the_service_makes_a_missing_data_dir_private(
    w3: Web3, api_chain: tuple[Registry, LocalAccount], tmp_path: Path
) -> None:
    registry, anchorer = api_chain
    data = tmp_path / "new" / "data"
    settings = api_settings(data, w3, registry.address, anchorer)
    before = os.umask(0o022)
    try:
        with TestClient(create_app(settings)) as client:
            client.get("/readyz")  # opens the database (not migrated here: 503 is fine)
    finally:
        os.umask(before)
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    assert stat.S_IMODE((data / "notary.db").stat().st_mode) == 0o600
