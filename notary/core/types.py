"""Value types over 32 bytes (Digest, Leaf, Root, Hash32), Ethereum addresses and leaf values.

Each 32-byte type compares equal only to its own type, so a leaf can never stand in for a
digest by accident (mypy rejects it too, since none is a subclass of another).
"""

from __future__ import annotations

import functools
import re
from typing import ClassVar, NamedTuple, NewType, Self

from notary.core._keccak import keccak256
from notary.core.errors import FormatError

_BYTES_LIKE = (bytes, bytearray, memoryview)
_HEX40 = re.compile(r"0x[0-9a-fA-F]{40}")

Address = NewType("Address", str)
"""An EIP-55 checksummed Ethereum address, as returned by :func:`to_checksum_address`."""


class _Bytes32:
    """An immutable 32-byte value; subclasses choose how it prints."""

    __slots__ = ("_raw",)
    _raw: bytes
    _default_field: ClassVar[str] = "value"

    def __init__(self, raw: bytes) -> None:
        # bytes(...) copies bytearray/memoryview so the value cannot change under us.
        if not isinstance(raw, _BYTES_LIKE):
            raise FormatError(self._default_field, f"expected 32 bytes, got {type(raw).__name__}")
        raw = bytes(raw)
        if len(raw) != 32:
            raise FormatError(self._default_field, f"expected 32 bytes, got {len(raw)}")
        object.__setattr__(self, "_raw", raw)

    @classmethod
    def from_hex(cls, text: str, field: str | None = None) -> Self:
        """Parse ``0x`` followed by exactly 64 hex digits; ``field`` names it in errors."""
        name = field or cls._default_field
        if not isinstance(text, str):
            raise FormatError(name, f"expected a 0x-hex string, got {type(text).__name__}")
        if not text.startswith("0x"):
            raise FormatError(name, "expected a hex string starting with 0x")
        if len(text) != 66:
            raise FormatError(name, f"expected 64 hex digits (32 bytes), got {len(text) - 2}")
        try:  # 64 characters make 32 bytes only if all are hex digits (no spaces)
            raw = bytes.fromhex(text[2:])
        except ValueError:
            raw = b""
        if len(raw) != 32:
            raise FormatError(name, "contains characters that are not hex digits")
        return cls(raw)

    @property
    def raw(self) -> bytes:
        """The 32 bytes."""
        return self._raw

    @property
    def hex(self) -> str:
        """Lower-case ``0x``-prefixed hex, as Ethereum tools and OpenZeppelin print it."""
        return "0x" + self._raw.hex()

    def __bytes__(self) -> bytes:
        return self._raw

    def __str__(self) -> str:
        return self.hex

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.hex})"

    def __eq__(self, other: object) -> bool:
        # Same type only: Leaf(x) != Digest(x) on purpose.
        if type(other) is not type(self):
            return NotImplemented
        return self._raw == other._raw

    def __hash__(self) -> int:
        return hash((type(self).__name__, self._raw))

    def __lt__(self, other: Self) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self._raw < other._raw

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

    def __reduce__(self) -> tuple[type[Self], tuple[bytes]]:
        return (type(self), (self._raw,))


class Digest(_Bytes32):
    """A SHA-256 digest of a document or of canonical metadata; prints as ``sha256:<hex>``."""

    __slots__ = ()
    _default_field = "digest"

    def __str__(self) -> str:
        return "sha256:" + self._raw.hex()

    @classmethod
    def parse(cls, text: str, field: str | None = None) -> Self:
        """Leniently parse user input: ``sha256:<hex>``, ``0x<hex>`` or bare hex (sha256sum)."""
        if isinstance(text, str):
            text = text.strip()
            if text.startswith("sha256:"):
                text = "0x" + text[7:]
            elif not text.startswith("0x"):
                text = "0x" + text
        return cls.from_hex(text, field)


class Leaf(_Bytes32):
    """An OpenZeppelin standard leaf hash: keccak256(keccak256(abi.encode(values)))."""

    __slots__ = ()
    _default_field = "leaf"


class Root(_Bytes32):
    """A Merkle root, the 32 bytes anchored on chain."""

    __slots__ = ()
    _default_field = "root"


class Hash32(_Bytes32):
    """Any other 32-byte hash (a transaction or block hash)."""

    __slots__ = ()
    _default_field = "hash"


def to_checksum_address(text: str, field: str = "address") -> Address:
    """Validate an address and return its EIP-55 form; a mixed-case input must already match."""
    if not isinstance(text, str) or not _HEX40.fullmatch(text):
        raise FormatError(field, "expected 0x followed by 40 hex digits")
    body = text[2:]
    lower = body.lower()
    checksummed = _eip55(lower)
    # All-lower or all-upper carries no checksum; mixed case must be exactly right (EIP-55).
    if body not in (lower, lower.upper()) and text != checksummed:
        raise FormatError(field, f"bad EIP-55 checksum (expected {checksummed})")
    return Address(checksummed)


@functools.lru_cache(maxsize=4096)
def _eip55(lower: str) -> str:
    """The EIP-55 form of 40 lower-case hex digits (cached: the same issuers come back)."""
    hashed = keccak256(lower.encode("ascii")).hex()
    return "0x" + "".join(
        c.upper() if c.isalpha() and int(h, 16) >= 8 else c
        for c, h in zip(lower, hashed[:40], strict=True)
    )


class LeafValues(NamedTuple):
    """The three values of a leaf, in OpenZeppelin encoding order (bytes32, address, bytes32)."""

    digest: Digest
    issuer: str
    metadata_digest: Digest

    @classmethod
    def of(cls, digest: Digest, issuer: str, metadata_digest: Digest) -> LeafValues:
        """Build leaf values, validating types and checksumming the issuer address."""
        if not isinstance(digest, Digest):
            raise FormatError("values[0]", "expected a Digest")
        if not isinstance(metadata_digest, Digest):
            raise FormatError("values[2]", "expected a Digest")
        return cls(digest, to_checksum_address(issuer, "values[1]"), metadata_digest)

    def to_hex(self) -> list[str]:
        """The values as OpenZeppelin's tree dump and the receipt list them."""
        return [self.digest.hex, self.issuer, self.metadata_digest.hex]
