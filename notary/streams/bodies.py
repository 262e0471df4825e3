"""Reading bodies (a JSON array, or JSON lines) scanned and counted before anything is built.

A 32 MiB body holds eleven million empty objects: parsed whole, it took seconds and a
gigabyte or more before its length could be refused. So a body is first scanned, element
by element or line by line, with one bounded regular-expression match each: the scan
stops at the first reading past MAX_READINGS_PER_REQUEST, and refuses an element that is
not ONE flat JSON object (strings and numbers, no nesting) of at most MAX_READING_CHARS.
Only then is the scanned text parsed, strictly, in one call: it holds at most
MAX_READINGS_PER_REQUEST objects and cannot nest. Every match runs in time linear in what
it reads (possessive quantifiers: no backtracking), and each is bounded by one element.
"""

from __future__ import annotations

import json
import re
from typing import Any

from notary.core.errors import FormatError
from notary.streams.ingest import MAX_READINGS_PER_REQUEST

MAX_READING_CHARS = 4_096
"""Longest reading, as sent: its five fields take ~150 characters, so this leaves room for
escapes and indentation, and bounds what one match and one object may cost."""

_SPACE = re.compile(r"[ \t\n\r]*+")
# One JSON object with no object or array inside it (outside its strings). Loose about the
# rest: json.loads checks the grammar once every element has been found and counted.
# (Written as "unrolled loops", which the regex engine runs twice as fast as alternations.)
_FLAT = r'\{[^{}\[\]"]*+(?:"[^"\\]*+(?:\\.[^"\\]*+)*+"[^{}\[\]"]*+)*+\}'
_FLAT_OBJECT = re.compile(_FLAT, re.DOTALL)
_ITEM = re.compile(_FLAT + r"[ \t\n\r]*+(?:,[ \t\n\r]*+|\])", re.DOTALL)
"""An array's reading with what follows it: a comma, or the array's closing bracket."""
_FLAT_IN_A_LINE = r'\{[^{}\[\]"\n]*+(?:"[^"\\\n]*+(?:\\.[^"\\\n]*+)*+"[^{}\[\]"\n]*+)*+\}'
"""The same, within one line (a newline is never inside a JSON object of JSON lines)."""
_LINE = re.compile(f"({_FLAT_IN_A_LINE})" + r"[ \t\r]*+(?:\n|\Z)")
"""A line of JSON lines (after its leading space): one reading, then only space."""
_NOT_A_READING = (
    f"expected a reading: one JSON object of strings and numbers, at most "
    f"{MAX_READING_CHARS:,} characters"
)
_ONE_A_LINE = (
    f"expected one JSON object on this line, at most {MAX_READING_CHARS:,} characters: "
    "a reading is never split over lines, and never two on one line"
)


def readings_body(raw: bytes, lines: bool) -> list[Any]:
    """The readings of a JSON array body or, with `lines`, a JSON lines body; a malformed
    body is FormatError naming the reading or line, a body with too many readings names
    `readings`, and neither is parsed further than that."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        if lines:
            line = raw.count(b"\n", 0, exc.start) + 1
            raise FormatError(f"line {line}", "not UTF-8") from None
        raise FormatError("$", f"not valid JSON: not UTF-8 at byte {exc.start}") from None
    return _lines(text) if lines else _array(text)


def _array(text: str) -> list[Any]:
    """A JSON array of readings, scanned then parsed in one call."""
    start = _SPACE.match(text).end()  # type: ignore[union-attr]  # matches anywhere
    if not text.startswith("[", start):
        raise FormatError("readings", "expected a JSON array of readings")
    pos = _skip(text, start + 1)
    count = 0
    if not text.startswith("]", pos):
        item = _ITEM.match
        while True:
            if count == MAX_READINGS_PER_REQUEST:
                raise _too_many(f"reading {count + 1:,}")
            found = item(text, pos, pos + MAX_READING_CHARS)
            count += 1
            if found is not None:  # the common case: one match a reading
                pos = found.end()
                if text[pos - 1] == "]":
                    pos -= 1
                    break
                continue
            pos = _skip(text, pos)  # more space after a comma than the match looked at
            found = _FLAT_OBJECT.match(text, pos, pos + MAX_READING_CHARS)
            if found is None:
                raise FormatError(f"readings[{count - 1}]", _NOT_A_READING)
            pos = _skip(text, found.end())
            if text.startswith(",", pos):
                pos = _skip(text, pos + 1)
            elif text.startswith("]", pos):
                break
            else:
                raise FormatError(
                    "$", f"not valid JSON: expected , or ] after readings[{count - 1}]"
                )
    end = pos + 1
    if _skip(text, end) != len(text):
        raise FormatError("$", "not valid JSON: more after the array")
    items: list[Any] = _strict_loads(text[start:end])
    return items


def _lines(text: str) -> list[Any]:
    """JSON lines: each line that is not blank is exactly one reading."""
    lines: list[str] = []
    starts: list[int] = []
    pos, size = 0, len(text)
    one_line = _LINE.match
    while (pos := _skip(text, pos)) < size:  # blank lines too
        if len(lines) == MAX_READINGS_PER_REQUEST:
            raise _too_many(f"line {_line_number(text, pos):,}")
        found = one_line(text, pos, pos + MAX_READING_CHARS + 1)  # and its newline
        end = 0 if found is None else found.end()
        if found is None or (end < size and text[end - 1] != "\n"):  # cut at the bound
            raise FormatError(f"line {_line_number(text, pos)}", _ONE_A_LINE)
        lines.append(found.group(1))
        starts.append(pos)
        pos = end
    try:
        # One call for all: 5x faster than one a line, and safe now that each line is
        # known to be one flat object (the commas cannot join or split readings).
        items: list[Any] = _strict_loads("[" + ",".join(lines) + "]")
    except FormatError:
        for line, at in zip(lines, starts, strict=True):
            try:
                _strict_loads(line)
            except FormatError as exc:
                raise FormatError(f"line {_line_number(text, at)}", exc.message) from None
        raise
    return items


def _skip(text: str, pos: int) -> int:
    """Past the JSON whitespace at `pos`."""
    return _SPACE.match(text, pos).end()  # type: ignore[union-attr]  # matches anywhere


def _line_number(text: str, pos: int) -> int:
    return text.count("\n", 0, pos) + 1


def _too_many(where: str) -> FormatError:
    return FormatError(
        "readings",
        f"more than {MAX_READINGS_PER_REQUEST:,} readings (the body goes on at {where}): "
        "split them over several requests",
    )


def _strict_loads(text: str) -> Any:
    """JSON with no duplicate keys and no NaN or Infinity (as notary.core.metadata's)."""
    try:
        return json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_no_constant)
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
