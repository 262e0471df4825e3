"""Reading bodies are scanned and counted before anything is parsed (notary.streams.bodies)."""

from __future__ import annotations

import json

import pytest

from notary.core.errors import FormatError
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
