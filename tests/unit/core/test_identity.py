"""Issuer identity rules: names people can tell apart, addresses a key can sign for."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from notary.core.errors import FormatError
from notary.core.identity import (
    LOWEST_SIGNING_ADDRESS,
    MAX_NAME_LENGTH,
    display_name,
    name_keys,
    signing_address,
)

VIETNAMESE = [
    "Sở Tài nguyên và Môi trường tỉnh Lâm Đồng",
    "Chi cục Trồng trọt và Bảo vệ thực vật",
    "Cục Bảo vệ thực vật",
    "Sở Nông nghiệp và Phát triển nông thôn tỉnh Quảng Ngãi",
    "Chi cục Thú y vùng IV (TP. Hồ Chí Minh) - Trạm Kiểm dịch động vật số 2",
    "Ủy ban nhân dân tỉnh Đắk Lắk",
]


@pytest.mark.parametrize("name", VIETNAMESE)
@pytest.mark.parametrize("form", ["NFC", "NFD"])
def test_vietnamese_names_are_accepted_composed(name: str, form: str) -> None:
    assert display_name(unicodedata.normalize(form, name)) == unicodedata.normalize("NFC", name)


def test_spaces_are_trimmed_and_collapsed() -> None:
    assert display_name("  Sở Nông nghiệp   tỉnh Lâm Đồng ") == "Sở Nông nghiệp tỉnh Lâm Đồng"


@pytest.mark.parametrize(
    ("name", "says"),
    [
        ("Chi\u200bcục", "U+200B (ZERO WIDTH SPACE)"),
        ("Chi cục\u200e", "U+200E (LEFT-TO-RIGHT MARK)"),
        ("Chi cục\u200f", "U+200F (RIGHT-TO-LEFT MARK)"),
        ("Chi \u202ecục", "U+202E"),
        ("Chi \u2067cục", "U+2067"),
        ("\ufeffChi cục", "U+FEFF"),
        ("Chi\u00adcục", "U+00AD (SOFT HYPHEN)"),
        ("Chi cục\ufe0f", "VARIATION SELECTOR-16"),
        ("\u3164", "HANGUL FILLER"),
        ("Chi cục\U000e0041", "TAG LATIN CAPITAL LETTER A"),
        ("ab\u0000cd", "U+0000"),
        ("ab\tcd", "U+0009"),
        ("ab\ncd", "U+000A"),
        ("ab\u0085cd", "U+0085"),
        ("ab\u2028cd", "LINE SEPARATOR"),
        ("ab\u2029cd", "PARAGRAPH SEPARATOR"),
        ("ab\ue000cd", "private-use"),
        ("ab\ud800cd", "surrogate"),
        ("ab\U000e0fffcd", "unassigned"),
        ("Chi\u00a0cục", "NO-BREAK SPACE"),
        ("Chi\u3000cục", "whitespace other than the space"),
        ("Chi\u2009cục", "whitespace other than the space"),
        ("\u2800Chi cục", "BRAILLE PATTERN BLANK"),
        ("\uff23hi cục", "compatibility form of 'C'"),
        ("Chi cục \ufb01", "compatibility form"),
        ("\u0421hi cục", "mixes the scripts Cyrillic and Latin"),
        ("Chi cục \u03bf", "Greek"),
        ("a\u0301\u0301", "repeats a combining mark"),
        ("e\u0300\u0301\u0302\u0303\u0304", "marks on one letter"),
        ("Trạm 1२", "digits of different number systems"),
        ("", "1 to 200 characters"),
        ("   ", "1 to 200 characters"),
        ("x" * (MAX_NAME_LENGTH + 1), "1 to 200 characters"),
    ],
)
def test_hostile_names_are_refused_naming_the_character(name: str, says: str) -> None:
    with pytest.raises(FormatError) as caught:
        display_name(name)
    assert caught.value.field == "name"
    assert says in caught.value.message


def test_a_name_mixing_latin_with_an_unconfusable_script_is_accepted() -> None:
    assert display_name("Chi cục Kiểm dịch (中越边境)") == "Chi cục Kiểm dịch (中越边境)"
    assert display_name("Министерство сельского хозяйства") == "Министерство сельского хозяйства"


@pytest.mark.parametrize(
    "look_alike",
    [
        "Chi cục Trồng trọt và Bảo vệ thực vật",  # an exact duplicate
        "CHI CỤC TRỒNG TRỌT VÀ BẢO VỆ THỰC VẬT",  # case
        "chi cục trồng trọt và bảo vệ thực vật",
        unicodedata.normalize("NFD", "Chi cục Trồng trọt và Bảo vệ thực vật"),
        "\u0421hi cục Trồng trọt và Bảo vệ thực vật",  # Cyrillic Es
        "Chi cục Trồng trọt và Bảo vệ thực vật".replace("o", "\u043e"),  # Cyrillic o
        "\uff23\uff48\uff49 cục Trồng trọt và Bảo vệ thực vật",  # fullwidth
        "Chi\u200b cục Trồng trọt và Bảo vệ thực vật",  # an invisible character
        "Chi cục Trồng trọt và Bảo vệ thực vật\u200f",
        "Chi cu\u0323c Trồng trọt và Bảo vệ thực vật",  # one letter decomposed
    ],
)
def test_look_alikes_share_a_key(look_alike: str) -> None:
    original = name_keys("Chi cục Trồng trọt và Bảo vệ thực vật")
    keys = name_keys(look_alike)
    assert keys.skeleton == original.skeleton or keys.folded == original.folded


def test_capital_i_for_l_is_caught_by_the_skeleton_as_it_is() -> None:
    assert (
        name_keys("Chi cục Thú y vùng Il").skeleton == name_keys("Chi cục Thú y vùng ll").skeleton
    )
    assert (
        name_keys("Chi cục Thú y vùng l0").skeleton == name_keys("Chi cục Thú y vùng IO").skeleton
    )


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Sở Y tế", "Số Y tế"),
        ("Sở Tài nguyên và Môi trường tỉnh Lâm Đồng", "Sở Tài nguyên và Môi trường tỉnh Đồng Nai"),
        ("Cục Bảo vệ thực vật", "Cục Bào vệ thực vật"),
        ("Chi cục Thú y vùng IV", "Chi cục Thú y vùng VI"),
        ("Chi cục", "Chi cục 2"),
    ],
)
def test_different_names_do_not_collide(a: str, b: str) -> None:
    ka, kb = name_keys(a), name_keys(b)
    assert ka.skeleton != kb.skeleton and ka.folded != kb.folded


@given(st.text(max_size=40))
def test_keys_are_defined_for_any_text_and_stable_under_normalisation(text: str) -> None:
    keys = name_keys(text)
    assert len(keys.skeleton) == len(keys.folded) == 32
    clean = text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
    assert name_keys(unicodedata.normalize("NFD", clean)) == name_keys(clean)


@pytest.mark.parametrize(
    "address",
    [
        "0x" + "0" * 40,
        "0x" + "0" * 39 + "1",  # ecrecover
        "0x" + "0" * 38 + "0a",  # point evaluation (Cancun)
        "0x" + "0" * 38 + "11",  # BLS12-381 map to G2 (Prague)
        "0x" + "0" * 37 + "100",  # P256VERIFY (Osaka), RIP-7212
        "0x" + "0" * 36 + "8001",  # zkSync's system contracts
        "0x" + "0" * 36 + "ffff",
    ],
)
def test_addresses_without_a_key_are_refused(address: str) -> None:
    with pytest.raises(FormatError) as caught:
        signing_address(address)
    assert caught.value.field == "address" and "no key can sign" in caught.value.message


def test_the_lowest_signing_address_and_a_real_one_are_accepted() -> None:
    lowest = f"0x{LOWEST_SIGNING_ADDRESS:040x}"
    assert signing_address(lowest) == lowest
    real = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"
    assert signing_address(real.lower()) == real
