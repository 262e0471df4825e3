"""Problem responses: the `Allow` of a 405, and how much of the request path is echoed."""

from __future__ import annotations

import pytest
from eth_account import Account

from api.problems import MAX_INSTANCE_CHARS
from tests.api.conftest import ApiEnv


@pytest.mark.parametrize(
    ("path", "allow"),
    [
        ("/v1/issuers", "GET, POST"),
        ("/v1/issuers/{address}/keys", "GET, POST"),
        ("/v1/issuers/{address}", "GET"),
        ("/v1/documents", "POST"),
    ],
)
def test_405_allow_names_every_method_of_the_path(api: ApiEnv, path: str, allow: str) -> None:
    url = path.format(address=Account.create().address)
    r = api.client.request("PATCH", url)
    assert r.status_code == 405
    assert r.headers["allow"] == allow
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["type"] == "urn:notary:problem:method-not-allowed"


def test_options_answers_405_with_the_same_allow(api: ApiEnv) -> None:
    r = api.client.options("/v1/issuers")
    assert r.status_code == 405 and r.headers["allow"] == "GET, POST"


def test_a_long_path_is_echoed_bounded(api: ApiEnv) -> None:
    long = "/v1/" + "a" * 65_000
    r = api.client.get(long)
    assert r.status_code == 404
    instance = r.json()["instance"]
    assert instance == long[:MAX_INSTANCE_CHARS] + "…"
    assert len(r.content) < 1_000


def test_a_short_path_is_echoed_whole(api: ApiEnv) -> None:
    r = api.client.get("/v1/nothing-here")
    assert r.status_code == 404 and r.json()["instance"] == "/v1/nothing-here"
