"""What an issuer may be registered as: a name people can tell apart, an address that can sign.

A verifier reads the issuer's name as *who* issued a document, so a name must look like
what it is: no invisible or direction-changing characters, no compatibility look-alikes,
no letters of two confusable scripts mixed, and never a name that reads the same as an
issuer already registered. "Reads the same" is Unicode TR39's skeleton (through ICU, the
reference implementation of UTS #39), as it is and case-folded: `name_keys` are what the
store keeps unique indexes on, so two registrations racing with look-alike names cannot
both succeed.

Changing `name_keys` (or ICU's confusables data) changes which names collide: stored keys
are then recomputed by a migration, as 0007 computed the first ones.
"""

from __future__ import annotations

import hashlib
import unicodedata
from functools import cache
from typing import NamedTuple

import icu  # type: ignore[import-untyped]  # PyICU ships no type information

from notary.core.errors import FormatError
from notary.core.types import Address, to_checksum_address

MAX_NAME_LENGTH = 200
MAX_MARKS_IN_A_ROW = 3
"""Combining marks allowed on one letter after NFC: Vietnamese needs none once composed
(at most two in NFD: "ệ" is e + dot below + circumflex); more is stacking ("zalgo")."""
LOWEST_SIGNING_ADDRESS = 1 << 16
"""Addresses below 0x…010000 belong to protocols, not keys: the zero address (what
`ecrecover` returns when a signature is bad, and refused by the registry), the EVM's
precompiles (0x01 to 0x11, 0x100 since Osaka), the range EIP-7587 reserves for rollups'
precompiles (0x100 to 0x1ff) and rollups' system contracts (e.g. zkSync's from 0x8000).
Nobody holds a key for them, so such an issuer could never revoke or sign; an address
derived from a real key falls below this with probability 2^-144."""

_REFUSED_CATEGORIES = {
    icu.UCharCategory.CONTROL_CHAR: "a control character",
    icu.UCharCategory.FORMAT_CHAR: "an invisible formatting character",
    icu.UCharCategory.PRIVATE_USE_CHAR: "a private-use character",
    icu.UCharCategory.SURROGATE: "a surrogate",
    icu.UCharCategory.UNASSIGNED: "an unassigned code point",
    icu.UCharCategory.LINE_SEPARATOR: "a line separator",
    icu.UCharCategory.PARAGRAPH_SEPARATOR: "a paragraph separator",
}
_MARKS = frozenset(
    {
        icu.UCharCategory.NON_SPACING_MARK,
        icu.UCharCategory.ENCLOSING_MARK,
        icu.UCharCategory.COMBINING_SPACING_MARK,
    }
)
_NO_SCRIPT = frozenset({icu.UScriptCode.COMMON, icu.UScriptCode.INHERITED})
_BLANK = frozenset({"\u2800"})  # BRAILLE PATTERN BLANK: a letter that shows nothing
_SPOOF_CHECKS = (
    icu.USpoofChecks.RESTRICTION_LEVEL | icu.USpoofChecks.MIXED_NUMBERS | icu.USpoofChecks.INVISIBLE
)


def display_name(name: str, field: str = "name") -> str:
    """The name as registered (NFC, runs of spaces as one), or FormatError naming `field`.

    Refused: control, format (zero-width, direction marks), private-use, surrogate,
    unassigned and separator characters; default-ignorable characters; whitespace other
    than the space; compatibility forms (fullwidth letters, ligatures); more than
    MAX_MARKS_IN_A_ROW combining marks on one letter; and letters of scripts that mix into
    look-alikes (Latin with Cyrillic or Greek), as ICU's moderately restrictive level says.
    """
    if not isinstance(name, str):
        raise FormatError(field, "expected a string")
    composed = unicodedata.normalize("NFC", name)
    marks = 0
    for char in composed:
        why = _refusal(char)
        if why is not None:
            raise FormatError(field, f"{_named(char)} is not allowed: it is {why}")
        marks = marks + 1 if icu.Char.charType(char) in _MARKS else 0
        if marks > MAX_MARKS_IN_A_ROW:
            raise FormatError(field, f"more than {MAX_MARKS_IN_A_ROW} marks on one letter")
    cleaned = " ".join(part for part in composed.split(" ") if part)
    if not cleaned or len(cleaned) > MAX_NAME_LENGTH:
        raise FormatError(field, f"a display name of 1 to {MAX_NAME_LENGTH} characters")
    flags = _spoof_checker().check(cleaned)
    if flags & icu.USpoofChecks.RESTRICTION_LEVEL:
        raise FormatError(field, f"mixes the scripts {_scripts(cleaned)}: a look-alike of a name")
    if flags & icu.USpoofChecks.MIXED_NUMBERS:
        raise FormatError(field, "mixes digits of different number systems")
    if flags & icu.USpoofChecks.INVISIBLE:
        raise FormatError(field, "repeats a combining mark on one letter")
    return cleaned


class NameKeys(NamedTuple):
    """What the store keeps unique per issuer name: SHA-256 of two skeletons."""

    skeleton: bytes
    """TR39's skeleton as it is: "paypaI" (capital I), "paypal" with a Cyrillic a, and "paypal"."""
    folded: bytes
    """The skeleton of the case-folded name: "SỞ Y TẾ" and "Sở Y tế"."""


def name_keys(name: str) -> NameKeys:
    """The two keys of a name: two names whose keys match in either read the same.

    Two keys, not one: case folding and the skeleton do not commute ("I" folds to "i" but
    its prototype is "l"), and one key closed under both would make every "i" an "l".
    Any text has keys (names stored before these rules too); a name and its NFD form,
    and a name with default-ignorable characters inserted, have the same keys.
    """
    text = unicodedata.normalize("NFC", name)
    folded = text
    for _ in range(8):  # a fixed point within two rounds for every name tried; bounded anyway
        again = _skeleton(folded.casefold())
        if again == folded:
            break
        folded = again
    return NameKeys(_sha256(_skeleton(text)), _sha256(folded))


def signing_address(address: str, field: str = "address") -> Address:
    """The EIP-55 address of an issuer, refusing addresses nobody holds a key for."""
    checked = to_checksum_address(address, field)
    if int(checked, 16) < LOWEST_SIGNING_ADDRESS:
        what = "the zero address" if int(checked, 16) == 0 else "a precompile or system address"
        raise FormatError(
            field, f"{checked} is {what}: no key can sign for it, so it cannot be an issuer"
        )
    return checked


def _refusal(char: str) -> str | None:
    """Why `char` may not appear in a name, or None."""
    category = icu.Char.charType(char)
    if category in _REFUSED_CATEGORIES:
        return _REFUSED_CATEGORIES[category]
    if icu.Char.hasBinaryProperty(char, icu.UProperty.DEFAULT_IGNORABLE_CODE_POINT):
        return "an invisible (default-ignorable) character"
    if char != " " and (icu.Char.isUWhiteSpace(char) or char in _BLANK):
        return "whitespace other than the space"
    compatible = unicodedata.normalize("NFKC", char)
    if compatible != char:
        return f"a compatibility form of {compatible!r}: write that instead"
    return None


def _named(char: str) -> str:
    code = f"U+{ord(char):04X}"
    name = icu.Char.charName(char)
    return f"{code} ({name})" if name else code


def _scripts(text: str) -> str:
    """The scripts of `text`'s letters, for the error message: "Latin and Cyrillic"."""
    names: list[str] = []
    for char in text:
        script = icu.Script.getScript(char)
        if script.getScriptCode() in _NO_SCRIPT:
            continue
        name = script.getName()
        if name not in names:
            names.append(name)
    return " and ".join(names)


def _skeleton(text: str) -> str:
    """TR39's skeleton: NFD, default-ignorables removed, prototypes (ICU's data), NFD."""
    visible = "".join(
        c
        for c in unicodedata.normalize("NFD", text)
        if not icu.Char.hasBinaryProperty(c, icu.UProperty.DEFAULT_IGNORABLE_CODE_POINT)
    )
    skeleton: str = _spoof_checker().getSkeleton(0, visible)
    return unicodedata.normalize("NFD", skeleton)


def _sha256(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()


@cache
def _spoof_checker() -> icu.SpoofChecker:
    """ICU's checker, made once (its tables load on first use); read-only afterwards."""
    checker = icu.SpoofChecker()
    checker.setChecks(_SPOOF_CHECKS)
    checker.setRestrictionLevel(icu.URestrictionLevel.MODERATELY_RESTRICTIVE)
    return checker
