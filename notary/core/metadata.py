"""Document metadata: RFC 8785 (JCS) canonical JSON, the privacy salt and metadataDigest.

The salt matters: a sibling hash in someone else's proof is the digest of *their*
metadata; without 128 random bits in it, guessable fields (a permit number, a holder's
name) could be recovered by brute force.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
import secrets
from collections.abc import Mapping
from itertools import accumulate
from typing import Any, cast

import rfc8785

from notary.core.digests import ZERO_DIGEST, sha256_bytes
from notary.core.errors import FormatError
from notary.core.types import Digest

SALT_FIELD = "salt"
SALT_BYTES = 16
"""128 random bits, written as 32 lower-case hex digits."""

MAX_METADATA_BYTES = 16 * 1024
"""Largest canonical metadata object accepted at intake; it travels inside every receipt."""
MAX_METADATA_DEPTH = 8
"""Deepest nesting of objects/arrays accepted (the top-level object is depth 1)."""
MAX_METADATA_FIELDS = 64
"""Most top-level fields accepted."""
MAX_KEY_LENGTH = 64
MAX_STRING_LENGTH = 4096
MAX_JSON_DEPTH = 64
"""Deepest nesting :func:`parse_json` accepts (receipts, metadata, JSON certificates)."""
JSON_SAFE_INTEGER = 2**53 - 1
"""RFC 8785 serialises numbers as IEEE doubles: larger integers would silently lose digits."""
UNSAFE_TEXT = r"\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069"
"""Characters refused in text shown to people as one line (field names, the documented
string fields, issuer names): the C0 and C1 controls and DEL, which can cut or split what a
reader sees (NUL ends a C string), and the bidirectional embeddings, overrides and
isolates, which can make it read in another order ("Trojan Source", CVE-2021-42574).
A regex character class in both Python and ECMA-262 (JSON Schema) syntax."""

DOCUMENTED_FIELDS: Mapping[str, str] = {
    "documentType": "kind of document, e.g. 'export-certificate' (string)",
    "documentNumber": "the issuer's number for the document (string)",
    "holder": "to whom it was issued (string)",
    "product": "product or subject (string)",
    "quantity": "amount, a number or a string with its unit",
    "origin": "place of origin (string)",
    "issuedOn": "issue date, YYYY-MM-DD or an RFC 3339 date-time",
    "expiresOn": "expiry date, YYYY-MM-DD or an RFC 3339 date-time",
    SALT_FIELD: "32 lower-case hex digits of randomness, added by the service",
}
_STRING_FIELDS = ("documentType", "documentNumber", "holder", "product", "origin")
_DATE_FIELDS = ("issuedOn", "expiresOn")
_SALT = re.compile(r"[0-9a-f]{32}")
_UNSAFE = re.compile(f"[{UNSAFE_TEXT}]")
_ESCAPE = re.compile(rb"\\.", re.DOTALL)
_NOT_BRACKET = bytes(b for b in range(256) if b not in b"[]{}")
_BRACKET_STEP = [1 if b in b"[{" else -1 for b in range(256)]  # indexed by [, ], { or }
_FAST_ENCODE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode
_PLAIN_WALK_LIMIT = 1_000_000
_FIRST_WINDOW = 2048
"""Characters first tried for a value read in pieces; most bulk items fit."""
"""Values `_plain` looks at before leaving the rest to rfc8785 (more than any receipt has)."""
_SURROGATES = "\ud800"  # keys below it sort the same by code point as by UTF-16 code unit


def canonical_json(obj: object) -> bytes:
    """The RFC 8785 canonical UTF-8 bytes of a JSON value."""
    try:
        if _plain(obj):
            # Same bytes as rfc8785 (a differential test checks), at a fraction of its cost
            # for small metadata; the encode rejects lone surrogates, left to rfc8785 to
            # report.
            try:
                return _FAST_ENCODE(obj).encode("utf-8")
            except UnicodeEncodeError:
                pass
        return rfc8785.dumps(obj)  # type: ignore[arg-type]  # bad values raise, mapped below
    except rfc8785.IntegerDomainError as exc:
        raise FormatError("$", f"integer outside ±(2^53-1): {exc}") from None
    except rfc8785.FloatDomainError as exc:
        raise FormatError("$", f"NaN and infinities are not JSON: {exc}") from None
    except (rfc8785.CanonicalizationError, TypeError, ValueError, RecursionError) as exc:
        raise FormatError("$", f"not canonicalisable JSON: {exc}") from None


def _plain(value: object) -> bool:
    """True if `json` serialises the value exactly as RFC 8785 does.

    That is: exact dicts whose keys are str with no character from U+D800 up (the only
    ones whose code-point and UTF-16 orders differ), lists, str, bool, None and ints
    within ±(2^53-1). Floats (ECMAScript number formatting) and anything else go to
    rfc8785. Both escape only the quote, the backslash and control characters, alike.
    Walked with a stack, not recursion: it runs on every receipt signed or checked.
    """
    stack = [value]
    for _ in range(_PLAIN_WALK_LIMIT):
        if not stack:
            return True
        item = stack.pop()
        kind = type(item)
        if kind is str or kind is bool or item is None:
            continue
        if kind is int:
            if not -JSON_SAFE_INTEGER <= cast(int, item) <= JSON_SAFE_INTEGER:
                return False
        elif kind is dict:
            mapping = cast(dict[Any, Any], item)
            for key in mapping:
                if type(key) is not str or not (key.isascii() or max(key) < _SURROGATES):
                    return False
            stack.extend(mapping.values())
        elif kind is list:
            stack.extend(cast(list[Any], item))
        else:
            return False
    return False  # that large (or cyclic): rfc8785 decides


def parse_json(data: str | bytes) -> Any:
    """Parse JSON strictly: no duplicate keys, no NaN/Infinity, nothing after the value."""
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    # The C decoder recurses per level; under a raised recursion limit very deep input
    # overflows the C stack and kills the process, so depth is bounded before parsing.
    if _nesting(raw) > MAX_JSON_DEPTH:
        raise FormatError("$", f"JSON nested deeper than {MAX_JSON_DEPTH}")
    try:
        return json.loads(data, object_pairs_hook=_no_duplicates, parse_constant=_no_constant)
    except FormatError:
        raise
    except (ValueError, RecursionError) as exc:  # JSONDecodeError, bad UTF-8, too deep
        raise FormatError("$", f"not valid JSON: {exc}") from None


def parse_json_with_items(
    data: bytes, items_field: str, max_items: int, max_value_chars: int
) -> Any:
    """Parse JSON as strictly as `parse_json`, a piece at a time: an object's values one
    by one and the array under `items_field` one item at a time, so no single step holds
    the interpreter for the whole body (the event loop's thread runs between pieces). An
    array of more than `max_items` is refused at item `max_items + 1`, before the rest is
    read; a value (or item) longer than `max_value_chars` is refused naming it. The
    result equals `parse_json(data)` for every body these bounds let through.
    """
    if _nesting_in_pieces(data) > MAX_JSON_DEPTH:
        raise FormatError("$", f"JSON nested deeper than {MAX_JSON_DEPTH}")
    try:  # as json.loads decodes bytes
        text = data.decode(json.detect_encoding(data), "surrogatepass")
    except UnicodeDecodeError as exc:
        raise FormatError("$", f"not valid JSON: {exc}") from None
    at = _skip_space(text, 0)
    if not text.startswith("{", at):
        if len(text) > max_value_chars:
            raise FormatError("$", "expected a JSON object")
        return parse_json(data)
    result: dict[str, Any] = {}
    at = _skip_space(text, at + 1)
    while not text.startswith("}", at):
        if result:
            at = _skip_space(text, _expect(text, at, ","))
        if not text.startswith('"', at):
            raise FormatError("$", f"not valid JSON: expected a property name at char {at}")
        key, at = _value_at(text, at, 2 * MAX_KEY_LENGTH + 2, "$")
        at = _skip_space(text, _expect(text, _skip_space(text, at), ":"))
        if key in result:
            raise FormatError("$", f"duplicate key {key!r}")
        if key == items_field and text.startswith("[", at):
            result[key], at = _items_at(text, at, key, max_items, max_value_chars)
        else:
            result[key], at = _value_at(text, at, max_value_chars, key)
        at = _skip_space(text, at)
    if _skip_space(text, at + 1) != len(text):
        raise FormatError("$", f"not valid JSON: extra data at char {at + 1}")
    return result


def _items_at(
    text: str, at: int, field: str, max_items: int, max_value_chars: int
) -> tuple[list[Any], int]:
    """The array starting at `at`, an item at a time; the index after it."""
    items: list[Any] = []
    at = _skip_space(text, at + 1)
    while not text.startswith("]", at):
        if items:
            at = _skip_space(text, _expect(text, at, ","))
        if len(items) == max_items:
            raise FormatError(field, f"more than {max_items} items")
        item, at = _value_at(text, at, max_value_chars, f"{field}[{len(items)}]")
        items.append(item)
        at = _skip_space(text, at)
    return items, at + 1


def _value_at(text: str, at: int, max_chars: int, field: str) -> tuple[Any, int]:
    """The JSON value starting at `at`, read from a window no longer than `max_chars`
    (grown from a small one, so a short value costs a short copy); the index after it."""
    window = min(_FIRST_WINDOW, max_chars)
    while True:
        end = at + window
        cut = end < len(text)
        try:
            value, used = _STRICT.raw_decode(text[at:end])
        except json.JSONDecodeError as exc:
            if cut and window >= max_chars:
                longer = f"not valid JSON, or longer than {max_chars} characters"
                raise FormatError(field, longer) from None
            if not cut:
                raise FormatError("$", f"not valid JSON in {field}: {exc.msg}") from None
        except RecursionError:
            raise FormatError("$", f"not valid JSON in {field}: nested too deep") from None
        else:
            if not (cut and used == window):  # a number cut short still parses: read on
                return value, at + used
            if window >= max_chars:
                raise FormatError(field, f"longer than {max_chars} characters")
        window = min(window * 8, max_chars)


def _expect(text: str, at: int, char: str) -> int:
    """The index after `char`, which must be at `at`."""
    if not text.startswith(char, at):
        raise FormatError("$", f"not valid JSON: expected {char!r} at char {at}")
    return at + 1


def _skip_space(text: str, at: int) -> int:
    """The index of the first character at or after `at` that is not JSON white space."""
    return cast(re.Match[str], _SPACE.match(text, at)).end()


def _nesting_in_pieces(data: bytes, piece: int = 1 << 18) -> int:
    """`_nesting(data)`, a piece of `piece` bytes at a time (string state carried over)."""
    depth = deepest = 0
    in_string = False
    carry = b""
    for start in range(0, len(data), piece):
        chunk = carry + data[start : start + piece]
        carry = b""
        run = len(chunk) - len(chunk.rstrip(b"\\"))
        if run % 2 and start + piece < len(data):  # an escape cut in two: finish it next
            chunk, carry = chunk[:-1], b"\\"
        if b"\\" in chunk:
            chunk = _ESCAPE.sub(b"", chunk)
        parts = chunk.split(b'"')
        outside = b"".join(parts[1::2] if in_string else parts[::2])
        if len(parts) % 2 == 0:
            in_string = not in_string
        brackets = outside.translate(None, _NOT_BRACKET)
        if brackets:
            levels = list(accumulate(map(_BRACKET_STEP.__getitem__, brackets), initial=depth))
            deepest, depth = max(deepest, *levels), levels[-1]
    return deepest


def json_document_digest(obj: object) -> Digest:
    """Digest of a structured JSON certificate: SHA-256 of its RFC 8785 canonical form."""
    return sha256_bytes(canonical_json(obj))


def new_salt() -> str:
    """128 fresh random bits as 32 lower-case hex digits."""
    return secrets.token_hex(SALT_BYTES)


def with_salt(metadata: Mapping[str, object]) -> dict[str, object]:
    """A copy of the metadata with a fresh ``salt`` added, unless it already has one."""
    salted = dict(metadata)
    salted.setdefault(SALT_FIELD, new_salt())
    return salted


def metadata_digest(metadata: Mapping[str, object] | None) -> Digest:
    """SHA-256 of the canonical metadata object; 32 zero bytes when there is no metadata."""
    if metadata is None:
        return ZERO_DIGEST
    if not isinstance(metadata, Mapping):
        raise FormatError("metadata", "expected a JSON object")
    return sha256_bytes(canonical_json(dict(metadata)))


def unsafe_character(text: str) -> str | None:
    """The first UNSAFE_TEXT character in `text`, or None."""
    if text.isprintable():  # C speed; it is False for every UNSAFE_TEXT character (and more)
        return None
    found = _UNSAFE.search(text)
    return found[0] if found else None


def check_display_text(text: str, field: str) -> None:
    """Refuse the UNSAFE_TEXT characters in `text`, naming `field` and the character."""
    char = unsafe_character(text)
    if char is not None:
        raise FormatError(field, _unsafe(char))


def _unsafe(char: str) -> str:
    return f"control or bidirectional character U+{ord(char):04X} is not allowed"


def _escaped(text: str) -> str:
    """`text` with its UNSAFE_TEXT characters written as \\uXXXX, to name it in an error."""
    return _UNSAFE.sub(lambda m: f"\\u{ord(m[0]):04x}", text)


def validate_metadata(metadata: object, field: str = "metadata") -> dict[str, object]:
    """Check a metadata object at intake (types, dates, limits) and return a plain dict copy."""
    clean = validate_metadata_fields(metadata, field)
    check_metadata_size(canonical_json(clean), field)
    return clean


def check_metadata_size(canonical: bytes, field: str = "metadata") -> None:
    """Reject metadata whose canonical (unsalted) form is over MAX_METADATA_BYTES."""
    if len(canonical) > MAX_METADATA_BYTES:
        raise FormatError(
            field, f"canonical form is {len(canonical)} bytes, limit {MAX_METADATA_BYTES}"
        )


def validate_metadata_fields(metadata: object, field: str = "metadata") -> dict[str, object]:
    """`validate_metadata` but for the size, left to the caller who has the canonical form."""
    if not isinstance(metadata, Mapping):
        raise FormatError(field, "expected a JSON object")
    if len(metadata) > MAX_METADATA_FIELDS:
        raise FormatError(field, f"more than {MAX_METADATA_FIELDS} fields")
    _check_value(metadata, field, 1)
    for name in _STRING_FIELDS:
        if name in metadata:
            if not isinstance(metadata[name], str):
                raise FormatError(f"{field}.{name}", "expected a string")
            check_display_text(metadata[name], f"{field}.{name}")
    quantity = metadata.get("quantity")
    if "quantity" in metadata and (
        isinstance(quantity, bool) or not isinstance(quantity, int | float | str)
    ):
        raise FormatError(f"{field}.quantity", "expected a number or a string")
    dates = {n: _parse_date(metadata[n], f"{field}.{n}") for n in _DATE_FIELDS if n in metadata}
    if len(dates) == 2 and dates["expiresOn"] < dates["issuedOn"]:
        raise FormatError(f"{field}.expiresOn", "is before issuedOn")
    salt = metadata.get(SALT_FIELD)
    if SALT_FIELD in metadata and not (isinstance(salt, str) and _SALT.fullmatch(salt)):
        raise FormatError(f"{field}.salt", "expected 32 lower-case hex digits")
    return dict(metadata)


def _check_value(value: object, path: str, depth: int) -> None:
    """Walk a JSON value checking types, depth and lengths, naming the offending path."""
    if depth > MAX_METADATA_DEPTH:
        raise FormatError(path, f"nested deeper than {MAX_METADATA_DEPTH}")
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str) or not key or len(key) > MAX_KEY_LENGTH:
                raise FormatError(path, f"keys must be strings of 1 to {MAX_KEY_LENGTH} characters")
            if (char := unsafe_character(key)) is not None:
                raise FormatError(f"{path}.{_escaped(key)}", _unsafe(char))
            _check_value(item, f"{path}.{key}", depth + 1)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _check_value(item, f"{path}[{i}]", depth + 1)
    elif isinstance(value, str):
        if len(value) > MAX_STRING_LENGTH:
            raise FormatError(path, f"string longer than {MAX_STRING_LENGTH} characters")
    elif isinstance(value, bool) or value is None:
        pass
    elif isinstance(value, int):
        if abs(value) > JSON_SAFE_INTEGER:
            raise FormatError(path, "integer outside ±(2^53-1)")
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise FormatError(path, "NaN and infinities are not JSON")
    else:
        raise FormatError(path, f"{type(value).__name__} is not a JSON value")


def _parse_date(value: object, path: str) -> dt.date:
    """Accept YYYY-MM-DD or an RFC 3339 date-time; compare by calendar date."""
    if isinstance(value, str):
        try:
            if len(value) == 10:
                return dt.date.fromisoformat(value)
            if "T" in value and (value.endswith("Z") or value[-6] in "+-"):
                return dt.datetime.fromisoformat(value).date()
        except (ValueError, IndexError):
            pass
    raise FormatError(path, "expected YYYY-MM-DD or an RFC 3339 date-time")


def _nesting(data: bytes) -> int:
    """Deepest bracket nesting, ignoring brackets inside strings.

    Escapes are dropped first (a backslash and the byte after it), so that every quote
    left opens or closes a string, as JSON's tokenizer pairs them; then the bytes between
    pairs of quotes go. String methods at C speed throughout, where a regex walk over a
    10,000-document bulk body was several times slower (docs/benchmarks.md).
    """
    if b"\\" in data:
        data = _ESCAPE.sub(b"", data)
    brackets = b"".join(data.split(b'"')[::2]).translate(None, _NOT_BRACKET)
    return max(accumulate(map(_BRACKET_STEP.__getitem__, brackets), initial=0))


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        # The first key seen twice, in one pass: comparing each key with the keys before
        # it took time quadratic in the object's size, for any JSON body (the public
        # /v1/verify's too), on the event loop.
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise FormatError("$", f"duplicate key {key!r}")
            seen.add(key)
    return result


def _no_constant(name: str) -> None:
    raise FormatError("$", f"{name} is not JSON")


_STRICT = json.JSONDecoder(object_pairs_hook=_no_duplicates, parse_constant=_no_constant)
_SPACE = re.compile(r"[ \t\n\r]*")
