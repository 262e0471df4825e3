"""Reading bodies (a JSON array, or JSON lines) scanned and counted before anything is built.

A 32 MiB body holds eleven million empty objects: parsed whole, it took seconds and a
gigabyte or more before its length could be refused. So a body is first scanned, element
by element or line by line, with one bounded regular-expression match each: the scan
stops at the first reading past MAX_READINGS_PER_REQUEST, and refuses an element that is
not ONE flat JSON object (strings and numbers, no nesting) of at most MAX_READING_CHARS.
Only then are the scanned readings parsed, strictly, PARSE_CHUNK at a time: at most
MAX_READINGS_PER_REQUEST objects, none nested.

Every step is bounded in what it reads at once (one element, one chunk of readings, or
WINDOW bytes of space): this runs on a worker thread, and a long single call into C would
hold the interpreter lock, and with it the event loop, for all of its length. The
patterns run in time linear in what they read (possessive quantifiers: no backtracking).
"""

from __future__ import annotations

import json
import re
from typing import Any

from notary.core.errors import FormatError
from notary.streams.ingest import MAX_READINGS_PER_REQUEST

MAX_READING_CHARS = 4_096
"""Longest reading, as sent (bytes of UTF-8): its five fields take ~150, so this leaves
room for escapes and indentation, and bounds what one match and one object may cost."""
PARSE_CHUNK = 1_000
"""Readings parsed by one `json.loads` call."""
WINDOW = 1 << 16
"""Most bytes one whitespace skip or newline count reads in one call."""

_SPACE = re.compile(rb"[ \t\n\r]*+")
# One JSON object with no object or array inside it (outside its strings). Loose about the
# rest: json.loads checks the grammar once every element has been found and counted.
# (Written as "unrolled loops", which the regex engine runs twice as fast as alternations.)
_FLAT = rb'\{[^{}\[\]"]*+(?:"[^"\\]*+(?:\\.[^"\\]*+)*+"[^{}\[\]"]*+)*+\}'
_FLAT_OBJECT = re.compile(_FLAT, re.DOTALL)
_ITEM = re.compile(b"(" + _FLAT + rb")[ \t\n\r]*+(?:,[ \t\n\r]*+|\])", re.DOTALL)
"""An array's reading with what follows it: a comma, or the array's closing bracket."""
_FLAT_IN_A_LINE = rb'\{[^{}\[\]"\n]*+(?:"[^"\\\n]*+(?:\\.[^"\\\n]*+)*+"[^{}\[\]"\n]*+)*+\}'
"""The same, within one line (a newline is never inside a JSON object of JSON lines)."""
_LINE = re.compile(b"(" + _FLAT_IN_A_LINE + rb")[ \t\r]*+(?:\n|\Z)")
"""A line of JSON lines (after its leading space): one reading, then only space."""
_NOT_A_READING = (
    f"expected a reading: one JSON object of strings and numbers, at most "
    f"{MAX_READING_CHARS:,} bytes"
)
_ONE_A_LINE = (
    f"expected one JSON object on this line, at most {MAX_READING_CHARS:,} bytes: "
    "a reading is never split over lines, and never two on one line"
)


def readings_body(raw: bytes, lines: bool) -> list[Any]:
    """The readings of a JSON array body or, with `lines`, a JSON lines body; a malformed
    body is FormatError naming the reading or line, a body with too many readings names
    `readings`, and neither is parsed further than that."""
    return _lines(raw) if lines else _array(raw)


def _array(raw: bytes) -> list[Any]:
    """A JSON array of readings: scanned, then parsed a chunk of readings at a time."""
    start = _skip(raw, 0)
    if not raw.startswith(b"[", start):
        raise FormatError("readings", "expected a JSON array of readings")
    pos = _skip(raw, start + 1)
    chunks: list[tuple[int, int]] = []  # (first reading's start, last reading's end)
    first = count = 0
    if not raw.startswith(b"]", pos):
        item = _ITEM.match
        while True:
            if count == MAX_READINGS_PER_REQUEST:
                raise _too_many(f"reading {count + 1:,}")
            if count % PARSE_CHUNK == 0:
                first = pos  # space before a reading is space inside the chunk's array
            found = item(raw, pos, pos + MAX_READING_CHARS)
            count += 1
            if found is not None:  # the common case: one match a reading
                end, pos = found.end(1), found.end()
                closed = raw[pos - 1] == ord("]")
            else:
                pos = _skip(raw, pos)  # more space after a comma than the match looked at
                found = _FLAT_OBJECT.match(raw, pos, pos + MAX_READING_CHARS)
                if found is None:
                    raise FormatError(f"readings[{count - 1}]", _NOT_A_READING)
                end = found.end()
                pos = _skip(raw, end)
                closed = raw.startswith(b"]", pos)
                if closed:
                    pos += 1
                elif raw.startswith(b",", pos):
                    pos = _skip(raw, pos + 1)
                else:
                    raise FormatError(
                        "$", f"not valid JSON: expected , or ] after readings[{count - 1}]"
                    )
            if closed or count % PARSE_CHUNK == 0:
                chunks.append((first, end))
            if closed:
                break
    else:
        pos += 1
    if _skip(raw, pos) != len(raw):
        raise FormatError("$", "not valid JSON: more after the array")
    items: list[Any] = []
    for a, b in chunks:
        items.extend(_strict_loads(b"[" + raw[a:b] + b"]"))
    return items


def _lines(raw: bytes) -> list[Any]:
    """JSON lines: each line that is not blank is exactly one reading."""
    spans: list[tuple[int, int]] = []
    pos, size = 0, len(raw)
    one_line = _LINE.match
    while (pos := _skip(raw, pos)) < size:  # blank lines too
        if len(spans) == MAX_READINGS_PER_REQUEST:
            raise _too_many(f"line {_line_number(raw, pos):,}")
        found = one_line(raw, pos, pos + MAX_READING_CHARS + 1)  # and its newline
        end = 0 if found is None else found.end()
        if found is None or (end < size and raw[end - 1] != ord("\n")):  # cut at the bound
            raise FormatError(f"line {_line_number(raw, pos)}", _ONE_A_LINE)
        spans.append((pos, found.end(1)))
        pos = end
    items: list[Any] = []
    for k in range(0, len(spans), PARSE_CHUNK):
        chunk = spans[k : k + PARSE_CHUNK]
        try:
            # One call for a chunk of lines, far cheaper than one a line, and safe now that
            # each line is known to be one flat object (commas cannot join or split them).
            items.extend(_strict_loads(b"[" + b",".join(raw[a:b] for a, b in chunk) + b"]"))
        except FormatError:
            for a, b in chunk:
                try:
                    _strict_loads(raw[a:b])
                except FormatError as exc:
                    raise FormatError(f"line {_line_number(raw, a)}", exc.message) from None
            raise
    return items


def _skip(raw: bytes, pos: int) -> int:
    """Past the JSON whitespace at `pos`, WINDOW bytes a call."""
    while True:
        end = _SPACE.match(raw, pos, pos + WINDOW).end()  # type: ignore[union-attr]
        if end < pos + WINDOW:  # space ended, or the body did
            return end
        pos = end


def _line_number(raw: bytes, pos: int) -> int:
    return 1 + sum(raw.count(b"\n", k, min(pos, k + WINDOW)) for k in range(0, pos, WINDOW))


def _too_many(where: str) -> FormatError:
    return FormatError(
        "readings",
        f"more than {MAX_READINGS_PER_REQUEST:,} readings (the body goes on at {where}): "
        "split them over several requests",
    )


def _strict_loads(data: bytes) -> Any:
    """UTF-8 JSON with no duplicate keys and no NaN or Infinity (as notary.core.metadata's)."""
    try:
        return json.loads(
            data.decode("utf-8"), object_pairs_hook=_no_duplicates, parse_constant=_no_constant
        )
    except UnicodeDecodeError as exc:
        raise FormatError("$", f"not valid JSON: not UTF-8 ({exc.reason})") from None
    except FormatError:
        raise
    except ValueError as exc:
        raise FormatError("$", f"not valid JSON: {exc}") from None


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        keys = [key for key, _ in pairs]
        duplicate = next(key for i, key in enumerate(keys) if key in keys[:i])
        raise FormatError("$", f"duplicate key {duplicate!r}")
    return result


def _no_constant(name: str) -> None:
    raise FormatError("$", f"{name} is not JSON")
