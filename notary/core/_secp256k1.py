"""secp256k1 ECDSA as Ethereum uses it: sign a 32-byte digest, recover the signing address.

Recovery accepts exactly what the registry's OpenZeppelin ``ECDSA.tryRecover`` and the
``ecrecover`` precompile accept, so that a signature is valid here if and only if it is on
chain: 65 bytes ``r ‖ s ‖ v``, ``v`` 27 or 28, ``0 < r < n``, ``0 < s <= n/2`` (the upper
half is refused as malleable), and a key must recover. libsecp256k1 (through coincurve)
does the curve arithmetic; signatures are deterministic (RFC 6979) with a low ``s``, the
same bytes as eth-account, cast and viem give for the same key and digest.
"""

from __future__ import annotations

import coincurve

from notary.core._keccak import keccak256
from notary.core.errors import FormatError
from notary.core.types import Address, to_checksum_address

ORDER = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
HALF_ORDER = ORDER // 2  # OpenZeppelin's 0x7FFF…5D576E7357A4501DDFE92F46681B20A0
SIGNATURE_LENGTH = 65


def check_private_key(secret: bytes) -> bytes:
    """``secret`` as 32 bytes if it is a valid private key (1 to n-1); never echoes it."""
    if not isinstance(secret, bytes | bytearray) or len(secret) != 32:
        raise FormatError("private_key", "expected 32 bytes")
    if not 0 < int.from_bytes(secret, "big") < ORDER:
        raise FormatError("private_key", "not a valid secp256k1 private key")
    return bytes(secret)


def address_of(secret: bytes) -> Address:
    """The Ethereum address of a private key."""
    public = coincurve.PublicKey.from_secret(check_private_key(secret))
    return _address(public)


def sign(secret: bytes, digest: bytes) -> bytes:
    """The 65-byte signature ``r ‖ s ‖ v`` of a 32-byte digest (not hashed again)."""
    if len(digest) != 32:
        raise FormatError("digest", "expected 32 bytes")
    key = coincurve.PrivateKey(check_private_key(secret))
    compact = key.sign_recoverable(bytes(digest), hasher=None)  # r ‖ s ‖ recovery id
    return compact[:64] + bytes([27 + compact[64]])


def recover(digest: bytes, signature: bytes) -> Address | None:
    """The address that signed ``digest``, or None where the registry's recovery fails."""
    if len(digest) != 32 or len(signature) != SIGNATURE_LENGTH:
        return None
    r = int.from_bytes(signature[:32], "big")
    s = int.from_bytes(signature[32:64], "big")
    v = signature[64]
    if v not in (27, 28) or not 0 < r < ORDER or not 0 < s <= HALF_ORDER:
        return None
    try:
        public = coincurve.PublicKey.from_signature_and_message(
            bytes(signature[:64]) + bytes([v - 27]), bytes(digest), hasher=None
        )
    except ValueError:  # r is not the x of a curve point
        return None
    return _address(public)


def _address(public: coincurve.PublicKey) -> Address:
    raw = keccak256(public.format(compressed=False)[1:])[12:]
    return to_checksum_address("0x" + raw.hex())
