"""Loading and creating the Ethereum keys the service signs with.

A key never leaves this module as text: callers get an eth-account LocalAccount,
whose repr does not show the key, and key files are written with mode 0600.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import cast

from eth_account import Account
from eth_account.signers.local import LocalAccount
from pydantic import SecretStr

from notary.core.errors import NotaryError
from notary.settings.config import Settings
from notary.util.private_files import private_dir


class KeyUnavailable(NotaryError):
    """A key is missing, unreadable or malformed."""


def load_or_create_key_file(path: Path) -> LocalAccount:
    """The account in `path`, creating a fresh random key there (0600) if absent."""
    if path.exists():
        return read_key_file(path)
    private_dir(path.parent)
    account = Account.create()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(account.key.hex() + "\n")
    return cast(LocalAccount, account)


def read_key_file(path: Path) -> LocalAccount:
    """The account whose hex private key is the content of `path`."""
    try:
        return cast(LocalAccount, Account.from_key(path.read_text().strip()))
    except (OSError, ValueError) as exc:
        raise KeyUnavailable(f"cannot read the key in {path}: {type(exc).__name__}") from None


def anchor_account(settings: Settings) -> LocalAccount:
    """The anchoring hot wallet: NOTARY_ANCHOR_KEY, a keystore, or the local dev key file."""
    if settings.anchor_key is not None:
        try:
            return cast(
                LocalAccount, Account.from_key(settings.anchor_key.get_secret_value().strip())
            )
        except ValueError:
            raise KeyUnavailable("NOTARY_ANCHOR_KEY is not a valid private key") from None
    if settings.anchor_keystore is not None:
        return _from_keystore(settings)
    path = settings.keys_dir / "anchor.key"
    if not path.exists():
        raise KeyUnavailable(
            f"no anchoring key: set NOTARY_ANCHOR_KEY or NOTARY_ANCHOR_KEYSTORE "
            f"(or run `notary chain up` to create a local one in {path})"
        )
    return read_key_file(path)


def _from_keystore(settings: Settings) -> LocalAccount:
    assert settings.anchor_keystore is not None
    password = settings.anchor_keystore_password
    if password is None:
        raise KeyUnavailable(
            "NOTARY_ANCHOR_KEYSTORE is set but NOTARY_ANCHOR_KEYSTORE_PASSWORD is not"
        )
    try:
        keystore = json.loads(settings.anchor_keystore.read_text())
        key = Account.decrypt(keystore, password.get_secret_value())
    except (OSError, ValueError) as exc:
        raise KeyUnavailable(
            f"cannot open keystore {settings.anchor_keystore}: {type(exc).__name__}"
        ) from None
    return cast(LocalAccount, Account.from_key(key))


def with_keystore_password(settings: Settings, ask: Callable[[str], str] | None = None) -> Settings:
    """`settings` with the keystore password asked for when a keystore is set without one.

    `ask` (e.g. getpass.getpass) is only called when there is a keystore and
    NOTARY_ANCHOR_KEYSTORE_PASSWORD is unset; the answer stays a SecretStr.
    """
    if settings.anchor_keystore is None or settings.anchor_keystore_password is not None:
        return settings
    if ask is None:
        return settings  # nobody to ask: anchor_account says what is missing
    password = ask(f"password of the anchoring keystore {settings.anchor_keystore}: ")
    return settings.model_copy(update={"anchor_keystore_password": SecretStr(password)})


def write_keystore(path: Path, account: LocalAccount, password: str) -> None:
    """Encrypt `account` into an eth-account (Web3 Secret Storage v3) keystore file, 0600."""
    keystore = Account.encrypt(account.key, password)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(keystore, handle)
