"""The service's Ed25519 receipt-signing key: loaded or created in the data dir, and published.

The private key lives in one PEM file (mode 0600): NOTARY_SERVICE_KEY_FILE, or
`data_dir/keys/service.ed25519.pem`, created on first use. Retired keys stay published so
that every receipt ever signed keeps verifying: put their public PEMs in
`data_dir/keys/service-retired/` (the file's modification time is shown as the end of
its validity).
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from notary.core.errors import NotaryError
from notary.core.signing import ServiceKey, key_id, public_key_from_pem
from notary.settings.config import Settings
from notary.util.private_files import private_dir

KEY_FILE_NAME = "service.ed25519.pem"
RETIRED_DIR_NAME = "service-retired"


class ServiceKeyUnavailable(NotaryError):
    """The receipt-signing key file exists but cannot be used."""


@dataclass(frozen=True)
class PublishedKey:
    """A public key receipts may be signed with, and when it was (or is) in use."""

    key_id: str
    public_key: Ed25519PublicKey
    valid_from: dt.datetime | None
    valid_until: dt.datetime | None

    @property
    def public_hex(self) -> str:
        """The 32 raw public key bytes in hex."""
        return self.public_key.public_bytes(Encoding.Raw, PublicFormat.Raw).hex()

    @property
    def public_pem(self) -> str:
        """The public key as PEM (SubjectPublicKeyInfo)."""
        return self.public_key.public_bytes(
            Encoding.PEM, PublicFormat.SubjectPublicKeyInfo
        ).decode()


def key_file(settings: Settings) -> Path:
    """Where the signing key is kept."""
    return settings.service_key_file or settings.keys_dir / KEY_FILE_NAME


def load_or_create_service_key(settings: Settings) -> ServiceKey:
    """The service's signing key, created (0600, never overwritten) if the file is missing.

    A new key is written to a private temporary file and then hard-linked into place, so
    a replica starting at the same moment never reads a half-written file: the link
    either succeeds (ours is the key) or finds theirs, complete.
    """
    path = key_file(settings)
    if path.exists():
        return _read(path)
    private_dir(path.parent)
    key = ServiceKey.generate()
    fd, draft = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")  # mode 0600
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(key.to_pem())
            handle.flush()
            os.fsync(handle.fileno())
        os.link(draft, path)
    except FileExistsError:  # another replica created it first: use theirs
        return _read(path)
    finally:
        os.unlink(draft)
    return key


def published_keys(settings: Settings, current: ServiceKey) -> list[PublishedKey]:
    """The current key first, then every retired key found beside it."""
    path = key_file(settings)
    keys = [PublishedKey(current.key_id, current.public_key, _mtime(path), None)]
    retired = path.parent / RETIRED_DIR_NAME
    if retired.is_dir():
        for pem in sorted(retired.glob("*.pem")):
            try:
                public = public_key_from_pem(pem.read_bytes())
            except (OSError, NotaryError):
                continue  # an unreadable file must not stop the service; it is not published
            keys.append(PublishedKey(key_id(public), public, None, _mtime(pem)))
    return keys


def _read(path: Path) -> ServiceKey:
    try:
        return ServiceKey.from_pem(path.read_bytes())
    except (OSError, NotaryError) as exc:
        raise ServiceKeyUnavailable(
            f"cannot use the receipt-signing key in {path}: {type(exc).__name__}"
        ) from None


def _mtime(path: Path) -> dt.datetime | None:
    try:
        return dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC)
    except OSError:
        return None
