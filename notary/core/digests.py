"""Document digests: SHA-256 of the exact bytes (what ``sha256sum`` and Web Crypto give)."""

from __future__ import annotations

import hashlib
import os
from typing import BinaryIO

from notary.core.types import Digest

CHUNK_SIZE = 1 << 20
"""Bytes read per call when hashing a stream: memory stays constant whatever the file size."""

ZERO_DIGEST = Digest(bytes(32))
"""The metadata digest of a document notarised without metadata (DESIGN: 32 zero bytes)."""


def sha256_bytes(data: bytes) -> Digest:
    """SHA-256 of bytes held in memory."""
    return Digest(hashlib.sha256(data).digest())


def sha256_stream(stream: BinaryIO, chunk_size: int = CHUNK_SIZE) -> Digest:
    """SHA-256 of everything left in a binary stream, read ``chunk_size`` bytes at a time."""
    if chunk_size <= 0:
        raise ValueError("chunk_size must be positive")
    hasher = hashlib.sha256()
    # One reused buffer: a 2 GB upload costs chunk_size bytes of memory, not 2 GB.
    buffer = bytearray(chunk_size)
    view = memoryview(buffer)
    readinto = getattr(stream, "readinto", None)
    while True:
        if readinto is not None:
            n = readinto(view)
            if not n:
                break
            hasher.update(view[:n])
        else:
            chunk = stream.read(chunk_size)
            if not chunk:
                break
            hasher.update(chunk)
    return Digest(hasher.digest())


def sha256_file(path: str | os.PathLike[str], chunk_size: int = CHUNK_SIZE) -> Digest:
    """SHA-256 of a file's bytes, in constant memory."""
    with open(path, "rb", buffering=0) as stream:
        return sha256_stream(stream, chunk_size)
