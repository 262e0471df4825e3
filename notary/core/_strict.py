"""Strict readers for JSON values that name the offending field path in every error."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, TypeVar

from notary.core.errors import FormatError
from notary.core.types import Address, _Bytes32, to_checksum_address

B = TypeVar("B", bound=_Bytes32)
MAX_SAFE_INT = 2**53 - 1
_LOWER_HEX = re.compile(r"0x[0-9a-f]*")


def obj(
    value: Any, path: str, required: tuple[str, ...], optional: tuple[str, ...] = ()
) -> dict[str, Any]:
    """A JSON object with exactly the given keys (unknown keys are errors: they'd be unsigned)."""
    if not isinstance(value, Mapping):
        raise FormatError(path, "expected an object")
    for key in value:
        if key not in required and key not in optional:
            raise FormatError(_join(path, str(key)), "unknown field")
    for key in required:
        if key not in value:
            raise FormatError(_join(path, key), "missing")
    return dict(value)


def string(value: Any, path: str, max_length: int = 256) -> str:
    """A non-empty string of bounded length."""
    if not isinstance(value, str) or not value:
        raise FormatError(path, "expected a non-empty string")
    if len(value) > max_length:
        raise FormatError(path, f"longer than {max_length} characters")
    return value


def integer(value: Any, path: str, minimum: int = 0) -> int:
    """An integer (not a bool, not a float) in [minimum, 2^53-1]."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise FormatError(path, "expected an integer")
    if not minimum <= value <= MAX_SAFE_INT:
        raise FormatError(path, f"expected an integer between {minimum} and 2^53-1")
    return value


def bytes32(value: Any, path: str, cls: type[B]) -> B:
    """A 32-byte value written as lower-case 0x-hex, exactly as this library writes it."""
    parsed = cls.from_hex(value, path)
    if value != parsed.hex:  # canonical spelling only: the signature covers the text
        raise FormatError(path, "hex digits must be lower-case")
    return parsed


def hexbytes(value: Any, path: str, length: int) -> bytes:
    """``length`` bytes written as lower-case 0x-hex."""
    if not isinstance(value, str) or not _LOWER_HEX.fullmatch(value):
        raise FormatError(path, "expected lower-case 0x-hex")
    if len(value) != 2 + 2 * length:
        raise FormatError(path, f"expected {2 * length} hex digits ({length} bytes)")
    return bytes.fromhex(value[2:])


def address(value: Any, path: str) -> Address:
    """An address already in EIP-55 checksummed form."""
    checked = to_checksum_address(value, path)
    if value != checked:
        raise FormatError(path, f"expected the EIP-55 checksummed form {checked}")
    return checked


def array(value: Any, path: str, max_length: int) -> list[Any]:
    """A JSON array of bounded length."""
    if not isinstance(value, list):
        raise FormatError(path, "expected an array")
    if len(value) > max_length:
        raise FormatError(path, f"more than {max_length} elements")
    return value


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key
