"""Adversarial suite, issuer registration: look-alike names, keyless addresses and hostile
JSON bodies are refused with a problem naming the field, and nothing of them is registered
here or queued for the chain; Vietnamese names in full go through, composed or not."""

from __future__ import annotations

import json
import unicodedata
from typing import Any

import httpx2
import pytest
from eth_account import Account

from tests.api.conftest import ApiEnv

PROBLEM = "application/problem+json"
ORIGINAL = "Chi cục Trồng trọt, Bảo vệ thực vật và Kiểm lâm tỉnh Hải Dương"


def problem(r: httpx2.Response, status: int, field: str | None) -> dict[str, Any]:
    """The problem document of `r`, checked: its status, media type and field."""
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith(PROBLEM)
    body: dict[str, Any] = r.json()
    assert body["status"] == status and body.get("field") == field, body
    assert "Traceback" not in r.text
    return body


def register(api: ApiEnv, name: str, address: str | None = None) -> httpx2.Response:
    body = {"address": address or Account.create().address, "name": name}
    return api.client.post("/v1/issuers", json=body, headers=api.admin)


def raw(api: ApiEnv, content: bytes) -> httpx2.Response:
    headers = {**api.admin, "Content-Type": "application/json"}
    return api.client.post("/v1/issuers", content=content, headers=headers)


def names(api: ApiEnv) -> list[str]:
    return [i["name"] for i in api.client.get("/v1/issuers").json()["issuers"]]


@pytest.fixture(scope="module")
def original(api: ApiEnv) -> str:
    """An issuer every look-alike below is held against; its address."""
    address = Account.create().address
    assert register(api, ORIGINAL, address).status_code == 201
    return address


# -- look-alike names (finding 11) ---------------------------------------------------------


@pytest.mark.parametrize(
    "look_alike",
    [
        ORIGINAL,  # an exact duplicate
        ORIGINAL.upper(),
        ORIGINAL.lower(),
        unicodedata.normalize("NFD", ORIGINAL),
        " " + ORIGINAL.replace(" ", "   ") + " ",
        ORIGINAL.replace("m", "rn"),  # letters that read as others
        ORIGINAL.replace("l", "I"),
    ],
    ids=["duplicate", "upper", "lower", "nfd", "spaces", "rn-for-m", "I-for-l"],
)
def test_a_name_reading_as_a_registered_one_is_refused_naming_that_issuer(
    api: ApiEnv, original: str, look_alike: str
) -> None:
    before = names(api)
    body = problem(register(api, look_alike), 422, "name")
    assert original in body["detail"] and ORIGINAL not in body["detail"]
    assert names(api) == before


@pytest.mark.parametrize(
    ("look_alike", "says"),
    [
        (ORIGINAL.replace("C", "\u0421", 1), "Cyrillic"),  # Cyrillic Es
        (ORIGINAL.replace("o", "\u043e"), "Cyrillic"),  # Cyrillic o
        (ORIGINAL.replace("o", "\u03bf"), "Greek"),  # Greek omicron
        (ORIGINAL.replace("Chi", "\uff23\uff48\uff49"), "U+FF23"),  # fullwidth
        (ORIGINAL.replace(" ", "\u200b ", 1), "U+200B"),
        (ORIGINAL + "\u200e", "U+200E"),
        (ORIGINAL + "\u200f", "U+200F"),
        ("\u202e" + ORIGINAL, "U+202E"),
        (ORIGINAL.replace(" ", "\u00a0", 1), "U+00A0"),
        (ORIGINAL.replace(" ", "\u3000", 1), "U+3000"),
        (ORIGINAL + "\ufeff", "U+FEFF"),
        (ORIGINAL + "\u2028", "U+2028"),
        (ORIGINAL.replace("i", "i\u034f", 1), "U+034F"),  # combining grapheme joiner
        ("\u3164", "U+3164"),  # Hangul filler: a letter that shows nothing
    ],
)
def test_invisible_and_mixed_script_names_are_refused_naming_the_character(
    api: ApiEnv, original: str, look_alike: str, says: str
) -> None:
    before = names(api)
    body = problem(register(api, look_alike), 422, "name")
    assert says in body["detail"]
    assert names(api) == before


@pytest.mark.parametrize(
    "name",
    [
        "Sở Tài nguyên và Môi trường tỉnh Lâm Đồng",
        "Chi cục Trồng trọt và Bảo vệ thực vật",
        "Ủy ban nhân dân huyện Đức Trọng",
    ],
)
@pytest.mark.parametrize("form", ["NFC", "NFD"])
def test_vietnamese_names_are_registered_in_nfc(api: ApiEnv, name: str, form: str) -> None:
    address = Account.create().address
    sent = unicodedata.normalize(form, f"{name} ({form})")
    r = register(api, sent, address)
    assert r.status_code == 201, r.text
    stored = api.client.get(f"/v1/issuers/{address}").json()["name"]
    assert stored == unicodedata.normalize("NFC", sent)


def test_racing_look_alike_registrations_let_one_through(api: ApiEnv) -> None:
    """Through the API: the store's unique keys decide (tests/store has the thread race)."""
    name = "Trạm Kiểm dịch thực vật cửa khẩu Tân Thanh"
    outcomes = sorted(register(api, n).status_code for n in (name, name.upper(), name.lower()))
    assert outcomes == [201, 422, 422]


# -- addresses no key can sign for (finding 12) ---------------------------------------------


@pytest.mark.parametrize(
    "address",
    ["0x" + "0" * 40, "0x" + "0" * 39 + "1", "0x" + "0" * 38 + "0a", "0x" + "0" * 37 + "100"],
    ids=["zero", "ecrecover", "point-evaluation", "p256verify"],
)
def test_keyless_addresses_are_refused(api: ApiEnv, address: str) -> None:
    body = problem(register(api, f"Chi cục {address[-3:]}", address), 422, "address")
    assert "no key can sign" in body["detail"]
    assert api.client.get(f"/v1/issuers/{address}").status_code == 404


# -- hostile JSON bodies ---------------------------------------------------------------------

GOOD = {"address": "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "name": "Trạm"}


@pytest.mark.parametrize(
    ("content", "status", "field"),
    [
        (b'{"address": "0x' + b"1" * 40 + b'", "name": NaN}', 400, "$"),
        (b'{"address": "0x' + b"1" * 40 + b'", "name": Infinity}', 400, "$"),
        (b'{"address": "0x' + b"1" * 40 + b'", "name": "a", "name": "b"}', 400, "$"),
        (b'{"name": "a", "address": ' + b"[" * 10_000 + b"]" * 10_000 + b"}", 400, "$"),
        (b'{"address": "0x' + b"1" * 40 + b'", "name": "\xff\xfe"}', 400, "$"),
        (b'{"address": "0x' + b"1" * 40 + b'", "name": "ab\\ud800cd"}', 422, "name"),
        (b'{"address": ' + b"9" * 5000 + b', "name": "a"}', 400, "$"),
        (b'{"address": 1e400, "name": "a"}', 422, "address"),
        (
            b'{"address": "0x' + b"1" * 40 + b'", "name": "a", "__proto__": {"x": 1}}',
            422,
            "__proto__",
        ),
        (b'{"address": "0x' + b"1" * 40 + b'", "name": "a"} trailing', 400, "$"),
        (b'["address", "name"]', 422, "$"),
        (b"", 400, "$"),
    ],
    ids=[
        "nan",
        "infinity",
        "duplicate-key",
        "deep",
        "invalid-utf8",
        "lone-surrogate",
        "huge-integer",
        "huge-float",
        "proto",
        "trailing",
        "array",
        "empty",
    ],
)
def test_hostile_json_is_a_problem_naming_where(
    api: ApiEnv, content: bytes, status: int, field: str
) -> None:
    before = names(api)
    problem(raw(api, content), status, field)
    assert names(api) == before


def test_an_oversize_body_is_refused_before_it_is_parsed(api: ApiEnv) -> None:
    padding = " " * (1 << 20)
    content = json.dumps(GOOD).replace("{", "{" + padding, 1).encode()
    problem(raw(api, content), 413, None)


def test_a_name_or_jurisdiction_past_its_length_is_refused(api: ApiEnv) -> None:
    problem(register(api, "x" * 201), 422, "name")
    body = {"address": Account.create().address, "name": "Trạm", "jurisdiction": "J" * 201}
    problem(api.client.post("/v1/issuers", json=body, headers=api.admin), 422, "jurisdiction")


def test_markup_in_a_name_is_data(api: ApiEnv) -> None:
    """Shown literally: the browser tier checks the pages; here, stored and answered as sent."""
    address = Account.create().address
    payload = '<img src=x onerror="alert(1)"> & </script><script>alert(2)</script>'
    assert register(api, payload, address).status_code == 201
    assert api.client.get(f"/v1/issuers/{address}").json()["name"] == payload
    page = api.client.get("/issuers")
    assert page.status_code == 200 and "<script>alert(2)" not in page.text
