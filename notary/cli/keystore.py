"""An issuer's keys on its own machine: encrypted keystores (Web3 Secret Storage v3, scrypt).

A keystore is written 0600, never over an existing file, and holds the key encrypted with
a password taken from an environment variable (for scripts) or asked at the terminal;
the password and the key are never printed or logged. `notary` keeps one thing of its own
in the file, beside the standard fields: which issuer a signing key signs for
(`"notary": {"issuer": "0x…"}`), so `notary stamp --signer FILE` knows whose documents
it signs.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, cast

from eth_account import Account
from eth_account.signers.local import LocalAccount

from notary.cli.client import UsageError, prompt_if_terminal
from notary.core.errors import FormatError
from notary.core.issuer_signing import IssuerKey
from notary.core.types import Address, to_checksum_address

SIGNER_PASSWORD_ENV = "NOTARY_SIGNER_PASSWORD"
"""The password of signing keystores (`keygen`, `stamp --signer`, `revoke --signer`)."""
ROOT_PASSWORD_ENV = "NOTARY_ROOT_PASSWORD"
"""The password of the issuer's root keystore (`issuer signer add|remove`)."""
KDF: Final = "scrypt"


@dataclass(frozen=True)
class Keystore:
    """A keystore file: the key's address and, if recorded, the issuer it signs for."""

    path: Path
    address: Address
    issuer: Address | None
    document: dict[str, Any]

    def unlock(self, password_env: str, ask: Callable[[str], str] | None = None) -> IssuerKey:
        """The key, decrypted with the password from `password_env` or asked for."""
        return IssuerKey(self._secret(password_env, ask))

    def account(self, password_env: str, ask: Callable[[str], str] | None = None) -> LocalAccount:
        """The key as an account that sends transactions (it pays their gas)."""
        return cast(LocalAccount, Account.from_key(self._secret(password_env, ask)))

    def _secret(self, password_env: str, ask: Callable[[str], str] | None) -> bytes:
        password = os.environ.get(password_env)
        if password is None:
            ask = ask or prompt_if_terminal()
            if ask is None:
                raise UsageError(f"no password for the keystore {self.path}: set {password_env}")
            password = ask(f"password of the keystore {self.path} ({self.address}): ")
        try:
            secret = bytes(Account.decrypt(self.document, password))
        except (ValueError, KeyError, TypeError):
            raise UsageError(f"cannot open the keystore {self.path}: wrong password?") from None
        if IssuerKey(secret).address != self.address:
            raise UsageError(f"the keystore {self.path} does not hold the key of {self.address}")
        return secret


def read_keystore(path: Path) -> Keystore:
    """A keystore file's public part (nothing is decrypted)."""
    try:
        document = json.loads(path.read_text("utf-8"))
    except OSError as exc:
        raise UsageError(f"cannot read the keystore {path}: {exc.strerror}") from None
    except ValueError:
        raise UsageError(f"{path} is not a keystore file (not JSON)") from None
    if not isinstance(document, dict) or not isinstance(document.get("crypto"), dict):
        raise UsageError(f"{path} is not a keystore file (no `crypto`)")
    try:
        address = to_checksum_address("0x" + str(document.get("address", "")).removeprefix("0x"))
        notary = document.get("notary")
        issuer = notary.get("issuer") if isinstance(notary, dict) else None
        recorded = to_checksum_address(issuer, "notary.issuer") if issuer is not None else None
    except FormatError as exc:
        raise UsageError(f"{path}: {exc}") from None
    return Keystore(path, address, recorded, document)


def create_keystore(
    path: Path, password: str, issuer: str | None = None, iterations: int | None = None
) -> Keystore:
    """A new random key encrypted into `path` (0600, never over a file); `issuer`: the
    issuer it will sign for. `iterations`: scrypt's n (eth-account's default unless set)."""
    if not password:
        raise UsageError("the keystore password is empty: choose one")
    secret = os.urandom(32)
    IssuerKey(secret)  # a valid secp256k1 key (all but never fails)
    document = Account.encrypt(secret, password, kdf=KDF, iterations=iterations)
    if issuer is not None:
        document["notary"] = {"issuer": to_checksum_address(issuer, "--issuer")}
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise UsageError(f"{path} exists: a keystore is never overwritten") from None
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(document, handle)
        handle.write("\n")
    return read_keystore(path)


def new_password(ask: Callable[[str], str] | None = None) -> str:
    """A new keystore's password: from NOTARY_SIGNER_PASSWORD, else asked twice."""
    password = os.environ.get(SIGNER_PASSWORD_ENV)
    if password is not None:
        return password
    ask = ask or prompt_if_terminal()
    if ask is None:
        raise UsageError(f"no password for the new keystore: set {SIGNER_PASSWORD_ENV}")
    first = ask("password for the new keystore: ")
    if ask("the same password again: ") != first:
        raise UsageError("the two passwords differ: nothing was written")
    return first
