"""Ed25519 signatures on receipts, with key ids so the service's key can rotate.

key id = first 16 hex digits of SHA-256 of the 32-byte raw public key. A verifier holds
a mapping key id -> public key (old keys stay published so old receipts keep verifying).
The signed bytes are :meth:`Receipt.signing_payload` (RFC 8785 JSON without the signature).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from notary.core.errors import FormatError, VerificationError
from notary.core.receipts import Receipt

_RAW = serialization.Encoding.Raw, serialization.PublicFormat.Raw


def key_id(public_key: Ed25519PublicKey) -> str:
    """The key id of a public key: 16 hex digits of SHA-256 of its raw 32 bytes."""
    return hashlib.sha256(public_key.public_bytes(*_RAW)).hexdigest()[:16]


def public_key_from_pem(pem: bytes) -> Ed25519PublicKey:
    """Load a published Ed25519 public key (PEM, SubjectPublicKeyInfo)."""
    try:
        key = serialization.load_pem_public_key(pem)
    except (ValueError, TypeError) as exc:
        raise FormatError("public_key", f"not a PEM public key: {exc}") from None
    if not isinstance(key, Ed25519PublicKey):
        raise FormatError("public_key", "not an Ed25519 key")
    return key


def public_key_from_hex(text: str) -> Ed25519PublicKey:
    """Load an Ed25519 public key from its 32 raw bytes in hex (optionally 0x-prefixed)."""
    try:
        raw = bytes.fromhex(text.removeprefix("0x"))
        return Ed25519PublicKey.from_public_bytes(raw)
    except (ValueError, AttributeError) as exc:
        raise FormatError("public_key", f"expected 64 hex digits: {exc}") from None


class ServiceKey:
    """The service's signing key; hold it in the keystore, never in a receipt or a log."""

    __slots__ = ("_key_id", "_private")

    def __init__(self, private: Ed25519PrivateKey) -> None:
        self._private = private
        self._key_id = key_id(private.public_key())  # asked for on every signature

    @classmethod
    def generate(cls) -> ServiceKey:
        """A fresh random key."""
        return cls(Ed25519PrivateKey.generate())

    @classmethod
    def from_pem(cls, pem: bytes, password: bytes | None = None) -> ServiceKey:
        """Load a PKCS#8 PEM private key."""
        try:
            key = serialization.load_pem_private_key(pem, password)
        except (ValueError, TypeError) as exc:
            raise FormatError("private_key", f"not a usable PEM private key: {exc}") from None
        if not isinstance(key, Ed25519PrivateKey):
            raise FormatError("private_key", "not an Ed25519 key")
        return cls(key)

    def to_pem(self, password: bytes | None = None) -> bytes:
        """PKCS#8 PEM, encrypted when a password is given."""
        encryption: serialization.KeySerializationEncryption = (
            serialization.BestAvailableEncryption(password)
            if password
            else serialization.NoEncryption()
        )
        return self._private.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
        )

    @property
    def public_key(self) -> Ed25519PublicKey:
        """The public half, to publish."""
        return self._private.public_key()

    @property
    def key_id(self) -> str:
        """This key's id."""
        return self._key_id

    def public_pem(self) -> bytes:
        """The public key as PEM (SubjectPublicKeyInfo), the form to publish."""
        return self.public_key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def public_hex(self) -> str:
        """The public key's 32 raw bytes in hex."""
        return self.public_key.public_bytes(*_RAW).hex()

    def sign(self, message: bytes) -> bytes:
        """A raw Ed25519 signature."""
        return self._private.sign(message)

    def __repr__(self) -> str:
        return f"ServiceKey(key_id={self.key_id})"  # never the private bytes


def sign_receipt(receipt: Receipt, key: ServiceKey) -> Receipt:
    """The receipt carrying ``key``'s id and its signature over the signing payload."""
    unsigned = receipt
    if receipt.service.key_id != key.key_id or receipt.service.signature is not None:
        unsigned = receipt.with_signature(key.key_id, None)  # the key id is signed too
    return unsigned.with_signature(key.key_id, key.sign(unsigned.signing_payload()))


def verify_receipt_signature(receipt: Receipt, public_keys: Mapping[str, Ed25519PublicKey]) -> bool:
    """True if the receipt is signed by one of ``public_keys``; raises VerificationError if not."""
    service = receipt.service
    if service.signature is None or service.key_id is None:
        raise VerificationError("the receipt is not signed")
    public_key = public_keys.get(service.key_id)
    if public_key is None:
        raise VerificationError(f"unknown signing key id {service.key_id}")
    if key_id(public_key) != service.key_id:
        raise VerificationError(f"the key published as {service.key_id} has another id")
    try:
        public_key.verify(service.signature, receipt.signing_payload())
    except InvalidSignature:
        raise VerificationError(
            f"the signature does not match the receipt (key {service.key_id})"
        ) from None
    return True
