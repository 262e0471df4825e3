"""Refusing unsafe settings on a non-local chain; the local admin key file."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from eth_account import Account
from pydantic import SecretStr

from notary.settings.config import Settings
from notary.settings.safety import (
    ADMIN_KEY_FILE,
    UnsafeConfiguration,
    admin_key_for,
    anvil_dev_addresses,
    check_anchor_key,
)

REMOTE = "https://rpc.example.org"


def settings(tmp: Path, **values: object) -> Settings:
    return Settings(_env_file=None, data_dir=tmp, **values)  # type: ignore[arg-type]


def test_local_chain_creates_a_private_admin_key(tmp_path: Path) -> None:
    key = admin_key_for(settings(tmp_path))
    path = tmp_path / "keys" / ADMIN_KEY_FILE
    assert path.read_text().strip() == key and len(key) >= 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert admin_key_for(settings(tmp_path)) == key  # reused, not replaced


def test_remote_chain_needs_a_strong_admin_key(tmp_path: Path) -> None:
    with pytest.raises(UnsafeConfiguration):
        admin_key_for(settings(tmp_path, rpc_url=REMOTE))
    with pytest.raises(UnsafeConfiguration):
        admin_key_for(settings(tmp_path, rpc_url=REMOTE, admin_key=SecretStr("short")))
    strong = "k" * 40
    assert admin_key_for(settings(tmp_path, rpc_url=REMOTE, admin_key=SecretStr(strong))) == strong


def test_remote_chain_refuses_anvils_published_keys(tmp_path: Path) -> None:
    Account.enable_unaudited_hdwallet_features()
    dev = Account.from_mnemonic(
        "test test test test test test test test test test test junk",
        account_path="m/44'/60'/0'/0/3",
    )
    assert dev.address in anvil_dev_addresses() and len(anvil_dev_addresses()) == 10
    with pytest.raises(UnsafeConfiguration):
        check_anchor_key(settings(tmp_path, rpc_url=REMOTE, anchor_key=SecretStr(dev.key.hex())))
    mine = Account.create()
    check_anchor_key(settings(tmp_path, rpc_url=REMOTE, anchor_key=SecretStr(mine.key.hex())))
    check_anchor_key(settings(tmp_path, anchor_key=SecretStr(dev.key.hex())))  # local: allowed
