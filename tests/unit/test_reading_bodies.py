"""Reading bodies are scanned and counted before anything is parsed (notary.streams.bodies)."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from notary.core.errors import FormatError
from notary.streams import bodies
from notary.streams.bodies import MAX_READING_CHARS, readings_body
from notary.streams.ingest import MAX_READINGS_PER_REQUEST

READING = {"time": "2026-03-01T02:10:00Z", "parameter": "SO2", "value": 0.41}
# Parsed, this object is refused (a key twice): a body of them that is answered with
# anything else was never parsed. Nor is what follows the last one valid JSON.
TRAP = b'{"a":1,"a":1}'
UNTERMINATED = b'{"never":"ends'


def refused(raw: bytes, lines: bool) -> FormatError:
    with pytest.raises(FormatError) as error:
        readings_body(raw, lines)
    return error.value


def test_an_array_is_parsed_strictly_once_scanned() -> None:
    body = json.dumps([READING, {**READING, "parameter": "PM2.5", "unit": "µg/m³"}])
    assert readings_body(body.encode(), lines=False)[1]["unit"] == "µg/m³"
    assert readings_body(b" [ ] ", lines=False) == []
    pretty = json.dumps([READING, READING], indent=4).encode()
    assert len(readings_body(pretty, lines=False)) == 2


def test_one_reading_past_the_cap_is_refused_before_anything_is_parsed() -> None:
    body = b"[" + b",".join([TRAP] * (MAX_READINGS_PER_REQUEST + 1)) + b"," + UNTERMINATED
    error = refused(body, lines=False)
    assert error.field == "readings" and "reading 100,001" in error.message


def test_the_cap_itself_is_taken() -> None:
    body = b"[" + b",".join([b"{}"] * MAX_READINGS_PER_REQUEST) + b"]"
    assert len(readings_body(body, lines=False)) == MAX_READINGS_PER_REQUEST
    lines = b"\n".join([b"{}"] * MAX_READINGS_PER_REQUEST) + b"\n\n"
    assert len(readings_body(lines, lines=True)) == MAX_READINGS_PER_REQUEST


def test_one_line_past_the_cap_is_refused_before_anything_is_parsed() -> None:
    body = b"\n".join([TRAP] * (MAX_READINGS_PER_REQUEST + 1) + [UNTERMINATED])
    error = refused(body, lines=True)
    assert error.field == "readings" and "line 100,001" in error.message


def test_blank_lines_do_not_count_and_are_skipped_at_once() -> None:
    body = b"\n" * 1_000_000 + json.dumps(READING).encode() + b"\r\n \n"
    assert readings_body(body, lines=True) == [READING]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b'{"time": "2026-03-01T02:10:00Z",\n"parameter": "SO2", "value": 1}', "line 1"),
        (b'{"time": 1, "parameter": "SO2", "value": 1}\n{"a": 1} {"b": 2}', "line 2"),
        (b'{"time": 1, "parameter": "SO2", "value": 1}\n\n{"a": 1}, {"b": 2}', "line 3"),
        (b"[" + json.dumps(READING).encode() + b"]", "line 1"),
        (b'"a reading"', "line 1"),
        (b'{"value": {"nested": 1}}', "line 1"),
        (b'{"time": 1}\n{"time" 2}', "line 2"),  # one object, not JSON: named too
        (b'{"time": 1}\n{"time": NaN}', "line 2"),
        (b'{"time": 1, "time": 2}', "line 1"),
        (b'{"time": 1}\n{"p": "\xff"}', "line 2"),
    ],
)
def test_each_line_is_exactly_one_json_object(body: bytes, field: str) -> None:
    assert refused(body, lines=True).field == field


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b'{"time": 1}', "readings"),
        (b"[1]", "readings[0]"),
        (b'[{"time": 1}, [2]]', "readings[1]"),
        (b'[{"value": {"nested": 1}}]', "readings[0]"),
        (b"[" + b"[" * 100_000, "readings[0]"),
        (b'[{"p": "' + b"x" * MAX_READING_CHARS + b'"}]', "readings[0]"),
        (b"[{} {}]", "$"),
        (b"[{}] []", "$"),
        (b'[{"time": 1, "time": 2}]', "$"),
        (b'[{"value": Infinity}]', "$"),
        (b'[{"p": "\xff"}]', "$"),
    ],
)
def test_an_array_element_that_is_not_a_reading_is_named(body: bytes, field: str) -> None:
    assert refused(body, lines=False).field == field


def test_space_is_space_wherever_it_is() -> None:
    wide = b" \t\r\n" * 5_000
    body = b"[" + wide + b"{}" + wide + b"," + wide + b"{}" + wide + b"]" + wide
    assert readings_body(body, lines=False) == [{}, {}]
    assert readings_body(wide + b"{}\n" + wide + b'{"a": 1}\r\n', lines=True) == [{}, {"a": 1}]


def test_a_line_is_at_most_max_reading_chars() -> None:
    fits = b'{"p": "' + b"x" * (MAX_READING_CHARS - 9) + b'"}'
    assert len(readings_body(fits + b"\n" + fits, lines=True)) == 2
    error = refused(b"{}\n" + b"{}" + b" " * MAX_READING_CHARS + b"{}", lines=True)
    assert error.field == "line 2"


def test_braces_and_brackets_inside_strings_are_text() -> None:
    reading = {**READING, "parameter": 'a{[}]"\\', "unit": "\u2028"}
    assert readings_body(json.dumps([reading]).encode(), lines=False) == [reading]
    assert readings_body(json.dumps(reading).encode(), lines=True) == [reading]


scalars = st.one_of(
    st.text(max_size=8),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.none(),
)
objects = st.dictionaries(st.text(max_size=6), scalars, max_size=5)
spaces = st.text(alphabet=" \t\r\n", max_size=3)


@given(
    items=st.lists(objects, max_size=12),
    chunk=st.integers(1, 4),
    gap=spaces,
    indent=st.sampled_from([None, 0, 2]),
    ascii_only=st.booleans(),
)
@settings(max_examples=300, deadline=None)
def test_any_array_of_flat_objects_reads_as_json_reads_it(
    items: list[dict[str, Any]], chunk: int, gap: str, indent: int | None, ascii_only: bool
) -> None:
    text = json.dumps(items, indent=indent, ensure_ascii=ascii_only)
    body = (gap + text + gap).encode("utf-8", "surrogatepass")
    with parse_chunk(chunk):
        assert readings_body(body, lines=False) == json.loads(body)


@given(items=st.lists(objects, max_size=12), chunk=st.integers(1, 4), gaps=st.lists(spaces))
@settings(max_examples=300, deadline=None)
def test_any_json_lines_of_flat_objects_read_as_json_reads_each(
    items: list[dict[str, Any]], chunk: int, gaps: list[str]
) -> None:
    lines = [
        json.dumps(item, ensure_ascii=False) + (gaps[k] if k < len(gaps) else "")
        for k, item in enumerate(items)
    ]
    body = "\n".join(lines).encode("utf-8", "surrogatepass")
    with parse_chunk(chunk):
        assert readings_body(body, lines=True) == items


@contextlib.contextmanager
def parse_chunk(size: int) -> Iterator[None]:
    """Readings parsed `size` at a time, so that few readings cross chunk boundaries."""
    saved = bodies.PARSE_CHUNK
    bodies.PARSE_CHUNK = size
    try:
        yield
    finally:
        bodies.PARSE_CHUNK = saved
