"""Refusing unsafe settings at start-up; creating the local admin key for development.

Defaults are safe only on a local chain. On any other RPC endpoint the service refuses to
start with a missing or short admin key, or with an anchoring key that is one of Anvil's
published development accounts (derived here from the public mnemonic, never hard-coded).
"""

from __future__ import annotations

import logging
import os
import secrets
from functools import cache
from pathlib import Path

from eth_account import Account

from notary.chain.urls import is_local
from notary.core.errors import NotaryError
from notary.settings.config import Settings
from notary.settings.keys import KeyUnavailable, anchor_account
from notary.util.private_files import private_dir

ANVIL_MNEMONIC = "test test test test test test test test test test test junk"
ANVIL_ACCOUNTS = 10
MIN_ADMIN_KEY_LENGTH = 32
ADMIN_KEY_FILE = "admin-api.key"
WEAK_ADMIN_KEYS = frozenset({"admin", "changeme", "change-me", "secret", "password", "test"})
log = logging.getLogger("notary.api")


class UnsafeConfiguration(NotaryError):
    """Settings that must not be used outside a local chain."""


@cache
def anvil_dev_addresses() -> frozenset[str]:
    """Addresses of Anvil's first ten well-known accounts (from the public mnemonic)."""
    Account.enable_unaudited_hdwallet_features()
    return frozenset(
        Account.from_mnemonic(ANVIL_MNEMONIC, account_path=f"m/44'/60'/0'/0/{i}").address
        for i in range(ANVIL_ACCOUNTS)
    )


def admin_key_for(settings: Settings) -> str:
    """The admin API key, checked; on a local chain created in the data dir when unset."""
    local = is_local(settings.rpc_url)
    key = settings.admin_key.get_secret_value() if settings.admin_key else None
    if key is None:
        if not local:
            raise UnsafeConfiguration(
                f"NOTARY_ADMIN_KEY is not set and NOTARY_RPC_URL ({settings.rpc_url}) is not "
                "a local chain: set an admin key of at least "
                f"{MIN_ADMIN_KEY_LENGTH} random characters"
            )
        return _local_admin_key(settings.keys_dir / ADMIN_KEY_FILE)
    if not local and (len(key) < MIN_ADMIN_KEY_LENGTH or key.lower() in WEAK_ADMIN_KEYS):
        raise UnsafeConfiguration(
            f"NOTARY_ADMIN_KEY is shorter than {MIN_ADMIN_KEY_LENGTH} characters or a default; "
            "refusing to serve a non-local chain with it"
        )
    return key


def check_anchor_key(settings: Settings) -> None:
    """Refuse Anvil's published keys as the anchoring wallet on a non-local chain."""
    if is_local(settings.rpc_url):
        return
    try:
        address = anchor_account(settings).address
    except KeyUnavailable:
        return  # this process does not anchor; the worker fails on its own without a key
    if address in anvil_dev_addresses():
        raise UnsafeConfiguration(
            f"the anchoring key is Anvil's published development account {address}; "
            "anyone can spend from it: use a key of your own on a non-local chain"
        )


def _local_admin_key(path: Path) -> str:
    if path.exists():
        return path.read_text().strip()
    private_dir(path.parent)
    key = "nty_admin_" + secrets.token_urlsafe(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another worker process wrote it first
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(key + "\n")
    log.warning("created a local admin API key in %s (0600)", path)
    return key
