"""What a public verification may show of a document's metadata."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from notary.core.disclosure import DEFAULT_PUBLIC, PUBLIC_FIELDS_KEY, public_view, with_public
from notary.core.errors import FormatError

METADATA = {
    "documentType": "export-certificate",
    "documentNumber": "EC-1",
    "holder": "Nguyễn Văn A",
    "product": "Vải thiều Thanh Hà",
    "salt": "00112233445566778899aabbccddeeff",
}


def test_default_view_shows_no_holder_and_no_salt() -> None:
    view = public_view(METADATA)
    assert view == {
        "documentType": "export-certificate",
        "documentNumber": "EC-1",
        "product": "Vải thiều Thanh Hà",
    }
    assert "holder" not in DEFAULT_PUBLIC and "salt" not in DEFAULT_PUBLIC


def test_the_issuer_list_decides() -> None:
    chosen = with_public({k: v for k, v in METADATA.items() if k != "salt"}, ["holder"])
    assert chosen[PUBLIC_FIELDS_KEY] == ["holder"]
    assert public_view({**chosen, "salt": "00" * 16}) == {"holder": "Nguyễn Văn A"}
    assert public_view({**chosen, PUBLIC_FIELDS_KEY: []}) == {}


def test_no_list_no_metadata() -> None:
    assert with_public(None, None) is None and with_public(None, []) is None
    assert with_public({"a": 1}, None) == {"a": 1}
    assert public_view(None) is None


@pytest.mark.parametrize(
    ("metadata", "public", "field"),
    [
        ({"a": 1}, ["b"], "public[0]"),
        ({"a": 1}, ["a", "a"], "public[1]"),
        ({"a": 1, "salt": "x"}, ["salt"], "public[0]"),
        ({"a": 1}, [1], "public[0]"),
        ({"a": 1}, "a", "public"),
        ({"a": 1, PUBLIC_FIELDS_KEY: ["a"]}, ["a"], f"metadata.{PUBLIC_FIELDS_KEY}"),
        ({"a": 1, PUBLIC_FIELDS_KEY: ["zz"]}, None, f"metadata.{PUBLIC_FIELDS_KEY}[0]"),
        (None, ["a"], "public[0]"),
    ],
)
def test_bad_lists_name_the_field(
    metadata: dict[str, object] | None, public: object, field: str
) -> None:
    with pytest.raises(FormatError) as err:
        with_public(metadata, public)  # type: ignore[arg-type]
    assert err.value.field == field


@given(st.dictionaries(st.sampled_from([*DEFAULT_PUBLIC, "holder", "salt", "x"]), st.text()))
def test_the_salt_never_shows(metadata: dict[str, str]) -> None:
    view = public_view(metadata) or {}
    assert "salt" not in view and set(view) <= set(DEFAULT_PUBLIC)
