"""Revocation reason codes: the byte recorded on chain and the name that stands for it.

Changing a code's meaning would change what receipts already revoked on chain say: codes
are only ever added. Codes not listed here are valid on chain (1 to 255) and named
`reason-N`.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from notary.core.errors import FormatError

REASONS: Mapping[int, str] = MappingProxyType(
    {
        1: "issued-in-error",
        2: "superseded",
        3: "withdrawn",
        4: "suspended",
        5: "expired",
        6: "fraud",
    }
)
"""Code -> name. 1: issued by mistake (wrong holder, wrong facts); 2: replaced by a newer
document; 3: withdrawn by the issuer (permit cancelled, goods recalled); 4: suspended
pending an inquiry; 5: no longer valid before its stated expiry; 6: obtained by fraud."""
MIN_REASON, MAX_REASON = 1, 255
_CODES = {name: code for code, name in REASONS.items()}


def reason_name(code: int) -> str:
    """The name of a reason code (`reason-N` for codes without one)."""
    return REASONS.get(code, f"reason-{code}")


def reason_code(value: int | str, field: str = "reason") -> int:
    """A reason code from its number or its name; FormatError naming `field` otherwise."""
    if isinstance(value, bool):
        raise FormatError(field, "a reason is a code (1-255) or one of its names")
    if isinstance(value, int):
        code = value
    elif value in _CODES:
        code = _CODES[value]
    elif value.startswith("reason-") and value[7:].isdigit():
        code = int(value[7:])
    else:
        names = ", ".join(REASONS.values())
        raise FormatError(field, f"unknown reason {value!r}: give 1-255 or one of {names}")
    if not MIN_REASON <= code <= MAX_REASON:
        raise FormatError(field, f"reason {code} is outside 1-255")
    return code
