"""Canonical metadata and its digest."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from notary.core.digests import ZERO_DIGEST, sha256_bytes
from notary.core.errors import FormatError
from notary.core.metadata import (
    MAX_METADATA_BYTES,
    MAX_METADATA_DEPTH,
    _nesting,
    _nesting_in_pieces,
    canonical_json,
    json_document_digest,
    metadata_digest,
    new_salt,
    parse_json,
    parse_json_with_items,
    validate_metadata,
    with_salt,
)


def test_no_metadata_is_zero() -> None:
    assert metadata_digest(None) == ZERO_DIGEST
    assert ZERO_DIGEST.raw == bytes(32)


def test_salt() -> None:
    a, b = new_salt(), new_salt()
    assert a != b and len(a) == 32 and int(a, 16) >= 0
    assert with_salt({"salt": "x"})["salt"] == "x"
    salted = with_salt({"holder": "A"})
    assert set(salted) == {"holder", "salt"}
    assert metadata_digest(salted) != metadata_digest(with_salt({"holder": "A"}))


def test_key_order_does_not_matter() -> None:
    assert metadata_digest({"a": 1, "b": 2}) == metadata_digest({"b": 2, "a": 1})


def test_json_document_digest_is_canonical() -> None:
    doc = parse_json(b'{ "b" : [1, 2.50], "a": "x" }')
    assert json_document_digest(doc) == sha256_bytes(b'{"a":"x","b":[1,2.5]}')


@pytest.mark.parametrize(
    "bad",
    [{"a": math.nan}, {"a": 2**53}, {"a": object()}, {1: "x"}],
)
def test_canonical_rejects(bad: object) -> None:
    with pytest.raises(FormatError):
        canonical_json(bad)


def test_canonical_rejects_a_value_that_contains_itself() -> None:
    looped: dict[str, object] = {"a": [1]}
    looped["b"] = looped
    with pytest.raises(FormatError):  # not a hang in the walk that looks for floats
        canonical_json(looped)


@pytest.mark.parametrize(
    "text",
    [b'{"a":1} x', b'{"a":1,"a":2}', b'{"a":NaN}', b"\xff", b"[" * 100000],
)
def test_parse_json_strict(text: bytes) -> None:
    with pytest.raises(FormatError):
        parse_json(text)


def test_validate_good() -> None:
    meta = {
        "documentType": "permit",
        "documentNumber": "1",
        "holder": "Nguyễn Văn A",
        "product": "gạo",
        "quantity": 12.5,
        "origin": "VN",
        "issuedOn": "2024-01-01",
        "expiresOn": "2025-01-01T00:00:00+07:00",
        "free": {"x": [1, None]},
        "salt": new_salt(),
    }
    assert validate_metadata(meta) == meta


def test_display_text_keeps_what_names_and_free_text_need() -> None:
    meta = {
        "holder": "Nguyễn\u00a0Văn A",  # no-break space
        "product": "\u0915\u094d\u200d\u0937",  # a zero-width joiner inside a word
        "note": "line one\nline two\tand a tab",  # values of other fields are free
    }
    assert validate_metadata(meta) == meta


@pytest.mark.parametrize(
    ("meta", "field"),
    [
        ([], "metadata"),
        ({"holder": 5}, "metadata.holder"),
        ({"quantity": True}, "metadata.quantity"),
        ({"issuedOn": "01/02/2024"}, "metadata.issuedOn"),
        ({"issuedOn": "2024-02-01", "expiresOn": "2024-01-01"}, "metadata.expiresOn"),
        ({"salt": "XYZ"}, "metadata.salt"),
        ({"x": {"y": 2**60}}, "metadata.x.y"),
        ({"x": [1.0, math.inf]}, "metadata.x[1]"),
        ({"": 1}, "metadata"),
        ({"ab\u0000cd": 1}, "metadata.ab\\u0000cd"),
        ({"x": {"k\u202e": 1}}, "metadata.x.k\\u202e"),
        ({"holder": "A\u0000B"}, "metadata.holder"),
        ({"documentNumber": "1\n2"}, "metadata.documentNumber"),
        ({"product": "r\u2066ice"}, "metadata.product"),
        (
            {
                "big": "x" * 4000,
                "big2": "x" * 4000,
                "b3": "x" * 4000,
                "b4": "x" * 4000,
                "b5": "x" * 4000,
            },
            "metadata",
        ),
    ],
)
def test_validate_rejects(meta: object, field: str) -> None:
    with pytest.raises(FormatError) as info:
        validate_metadata(meta)
    assert info.value.field == field


def test_depth_limit() -> None:
    deep: object = 1
    for _ in range(MAX_METADATA_DEPTH):
        deep = {"x": deep}
    with pytest.raises(FormatError, match="deeper"):
        validate_metadata(deep)
    assert MAX_METADATA_BYTES >= 4096


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**53) + 1, 2**53 - 1)
    | st.floats(-(2.0**53 - 1), 2.0**53 - 1)
    | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=150, deadline=None)
@given(json_values)
def test_canonical_round_trips(value: object) -> None:
    once = canonical_json(value)
    assert canonical_json(parse_json(once)) == once


# Characters where JSON encoders tend to differ: controls, quote, backslash, DEL, U+2028,
# lone surrogates, both sides of the surrogate block and astral characters (key order).
_TRICKY = '\x00\x01\x08\t\n\x0c\r\x1f"\\/\x7f\u2028\ud800\udfff\ue000\uffff\U00010000\U0001f600'
_chars = st.characters() | st.sampled_from(_TRICKY)
_text = st.text(_chars, max_size=12)
_scalars = st.none() | st.booleans() | st.integers(-(2**53) - 2, 2**53 + 2) | _text


def _json_like(leaves: st.SearchStrategy[object]) -> st.SearchStrategy[object]:
    return st.recursive(
        leaves,
        lambda inner: (
            st.lists(inner, max_size=5)
            | st.tuples(inner, inner)
            | st.dictionaries(_text, inner, max_size=6)
        ),
        max_leaves=30,
    )


# Half without floats, so that most examples take the fast path somewhere.
_differential_values = _json_like(_scalars) | _json_like(
    _scalars | st.floats(allow_nan=True, allow_infinity=True)
)


def _rfc8785_or_error(value: object) -> bytes | None:
    try:
        return rfc8785.dumps(value)  # type: ignore[arg-type]
    except (ValueError, TypeError):
        return None


def _assert_same_as_rfc8785(value: object) -> None:
    expected = _rfc8785_or_error(value)
    if expected is None:
        with pytest.raises(FormatError):
            canonical_json(value)
    else:
        assert canonical_json(value) == expected


@settings(max_examples=5000, deadline=None)
@given(_differential_values)
def test_canonical_json_equals_rfc8785(value: object) -> None:
    """The fast path gives rfc8785's bytes exactly, and fails where rfc8785 fails."""
    _assert_same_as_rfc8785(value)


@pytest.mark.parametrize(
    "value",
    [
        {"\ue000": 1, "\U0001f600": 2},  # code-point order and UTF-16 order disagree
        {"a": "\ud800"},
        {"\udfff": 1},
        {"a": 2**53 - 1, "b": -(2**53) + 1, "c": [2**53]},
        {"a": [True, False, None, '\x00\x1f\x7f"\\']},
    ],
)
def test_canonical_json_edge_cases(value: object) -> None:
    _assert_same_as_rfc8785(value)


def _nesting_by_walk(data: bytes) -> int:
    """Reference: walk the bytes as JSON's tokenizer does, counting brackets outside strings."""
    depth = deepest = 0
    in_string = escaped = False
    for byte in data:
        if in_string:
            if escaped:
                escaped = False
            elif byte == ord("\\"):
                escaped = True
            elif byte == ord('"'):
                in_string = False
        elif byte == ord('"'):
            in_string = True
        elif byte in b"[{":
            depth += 1
            deepest = max(deepest, depth)
        elif byte in b"]}":
            depth -= 1
    return deepest


_bracket_text = st.text(st.sampled_from('[]{}"\\/ab\u00e9') | st.characters(), max_size=10)
_nesting_values = st.recursive(
    st.none() | st.integers() | _bracket_text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_bracket_text, inner, max_size=4),
    max_leaves=40,
)


@settings(max_examples=2000, deadline=None)
@given(_nesting_values, st.booleans())
def test_nesting_ignores_brackets_in_strings(value: object, ascii_only: bool) -> None:
    text = json.dumps(value, ensure_ascii=ascii_only).encode("utf-8", "surrogatepass")
    assert _nesting(text) == _nesting_by_walk(text)


# -- reading a large body a piece at a time ------------------------------------------------

_JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**60), 2**60) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner, max_size=4)
    ),
    max_leaves=12,
)


@given(
    st.dictionaries(st.text(max_size=6), _JSON_VALUES, max_size=4),
    st.lists(_JSON_VALUES, max_size=6),
    st.sampled_from(["", " ", "\n\t "]),
    st.integers(1, 300),
)
def test_reading_a_body_in_pieces_gives_what_parse_json_gives(
    head: dict[str, Any], items: list[Any], space: str, max_value_chars: int
) -> None:
    body = {**head, "documents": items}
    data = json.dumps(body, ensure_ascii=False, indent=space or None).encode()
    try:
        read = parse_json_with_items(data, "documents", 6, max_value_chars)
    except FormatError as exc:
        assert "longer than" in exc.message  # only the bound it was given refuses a body
        return
    assert read == parse_json(data) == body


@pytest.mark.parametrize(
    ("data", "field", "words"),
    [
        (b'{"documents": [1, 2, 3, 4]}', "documents", "more than 3 items"),
        (b'{"documents": [1, 2], "documents": []}', "$", "duplicate key 'documents'"),
        (b'{"documents": [NaN]}', "$", "NaN is not JSON"),
        (b'{"documents": [{"a": 1, "a": 2}]}', "$", "duplicate key 'a'"),
        (b'{"documents": [1] } x', "$", "extra data"),
        (b'{"documents": [1,]}', "$", "not valid JSON in documents[1]"),
        (b'{"documents": ["' + b"x" * 200 + b'"]}', "documents[0]", "longer than 100"),
        (b'{"documents": [123456789012345678901234567890]}', "documents[0]", "longer than 10"),
        (b'{"a": ' + b"[" * 65 + b"]" * 65 + b"}", "$", "nested deeper than 64"),
        (b"[" + b"1," * 200 + b"1]", "$", "expected a JSON object"),
    ],
)
def test_a_body_read_in_pieces_is_refused_naming_where(data: bytes, field: str, words: str) -> None:
    limit = 10 if b"1234567890" in data else 100
    with pytest.raises(FormatError) as caught:
        parse_json_with_items(data, "documents", 3, limit)
    assert caught.value.field == field and words in caught.value.message, caught.value


def test_items_past_the_bound_are_never_read() -> None:
    data = b'{"documents": [' + b"{}," * 5 + b"this is not JSON]}"
    with pytest.raises(FormatError) as caught:
        parse_json_with_items(data, "documents", 5, 100)
    assert caught.value.field == "documents" and "more than 5" in caught.value.message


@given(st.text(alphabet='[]{}"\\ ab', max_size=80), st.integers(1, 9))
def test_nesting_counted_in_pieces_is_nesting_counted_at_once(text: str, piece: int) -> None:
    data = text.encode()
    assert _nesting_in_pieces(data, piece) == _nesting(data)
