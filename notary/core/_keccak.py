"""The keccak256 primitive used by leaves, nodes and address checksums.

Measured on this project's machines (64-byte inputs): tiny-keccak (Rust) ~1.4-3.3 M/s,
safe-pysha3 ~0.9-1.5 M/s, pycryptodome ~0.13-0.3 M/s. Building a 1M-leaf tree needs about
3M calls, so the backend is chosen here explicitly rather than left to eth-hash, which
picks pycryptodome when several backends are installed. tiny-keccak only accepts ``bytes``.
"""

from __future__ import annotations

from tiny_keccak import keccak256

__all__ = ["keccak256"]
