"""Canonical metadata and its digest."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from notary.core.digests import ZERO_DIGEST, sha256_bytes
from notary.core.errors import FormatError
from notary.core.metadata import (
    MAX_METADATA_BYTES,
    MAX_METADATA_DEPTH,
    canonical_json,
    json_document_digest,
    metadata_digest,
    new_salt,
    parse_json,
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
