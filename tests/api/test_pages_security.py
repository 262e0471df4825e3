"""Security headers on the service's answers: pages, API docs, JSON and problems."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.security_headers import OTHER_HEADERS
from tests.api.conftest import ApiEnv, Issuer

EXPECTED_OTHERS = {
    "referrer-policy": "no-referrer",
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "permissions-policy": "camera=(self)",
}


def directives(policy: str) -> dict[str, list[str]]:
    """A Content-Security-Policy header as directive -> source list."""
    out: dict[str, list[str]] = {}
    for part in policy.split(";"):
        name, *sources = part.split()
        assert name not in out, f"{name} twice"
        out[name] = sources
    return out


def assert_page_policy(headers: dict[str, str], connect: list[str] | None = None) -> None:
    csp = directives(headers["content-security-policy"])
    assert csp["default-src"] == ["'self'"]
    assert csp["script-src"] == ["'self'", "'wasm-unsafe-eval'"]
    assert csp["style-src"] == ["'self'"]
    assert csp["img-src"] == ["'self'", "data:", "blob:"]
    assert csp["connect-src"] == (connect or ["'self'"])
    assert csp["worker-src"] == ["'self'", "blob:"]
    assert csp["object-src"] == csp["base-uri"] == csp["frame-ancestors"] == ["'none'"]
    assert csp["form-action"] == ["'self'"]
    assert {k: headers[k] for k in EXPECTED_OTHERS} == EXPECTED_OTHERS


def test_the_headers_this_test_expects_are_the_ones_sent() -> None:
    assert dict(OTHER_HEADERS) == EXPECTED_OTHERS


def test_json_answers_and_problems_carry_the_page_policy(api: ApiEnv) -> None:
    chain = api.client.get("/v1/chain")
    assert chain.status_code == 200 and chain.headers["content-type"] == "application/json"
    assert_page_policy(dict(chain.headers))
    missing = api.client.get("/v1/no-such-thing")
    assert missing.status_code == 404
    assert_page_policy(dict(missing.headers))


def test_verification_pages_carry_the_page_policy(api: ApiEnv, issuer: Issuer) -> None:
    leaf = api.notarise(issuer)["leaf"]
    for path in (f"/v/{leaf}", f"/verify?leaf={leaf}", "/verify", "/verify/stream", "/issuers"):
        r = api.client.get(path)
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/html"), path
        assert_page_policy(dict(r.headers))


def test_the_label_page_carries_the_page_policy(api: ApiEnv, issuer: Issuer) -> None:
    leaf = api.notarise(issuer)["leaf"]
    r = api.client.get(f"/v/{leaf}/label", headers=issuer.headers)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert_page_policy(dict(r.headers))
    assert "<script" not in r.text and "style=" not in r.text  # nothing the policy blocks


@pytest.mark.parametrize(
    ("path", "styles"),
    [("/docs", ["'self'"]), ("/redoc", ["'self'", "'unsafe-inline'"])],
)
def test_api_docs_get_their_own_policy(api: ApiEnv, path: str, styles: list[str]) -> None:
    r = api.client.get(path)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    csp = directives(r.headers["content-security-policy"])
    assert csp["script-src"] == ["'self'"]  # no inline script, no eval, no wasm
    assert csp["style-src"] == styles
    assert csp["connect-src"] == ["'self'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert {k: r.headers[k] for k in EXPECTED_OTHERS} == EXPECTED_OTHERS
    assert "<script>" not in r.text and "cdn" not in r.text.lower()


def test_the_public_rpc_origin_is_the_only_other_origin_pages_may_call(api: ApiEnv) -> None:
    settings = api.settings.model_copy(
        update={"public_rpc_url": "http://user:secret@127.0.0.1:8545/rpc?x=1"}
    )
    with TestClient(create_app(settings)) as client:
        r = client.get("/healthz")
        assert_page_policy(dict(r.headers), connect=["'self'", "http://127.0.0.1:8545"])
        assert "secret" not in r.headers["content-security-policy"]
        docs = directives(client.get("/docs").headers["content-security-policy"])
        assert docs["connect-src"] == ["'self'"]


def test_a_public_rpc_url_that_is_not_http_stops_the_start(api: ApiEnv) -> None:
    settings = api.settings.model_copy(update={"public_rpc_url": "http://evil;script-src *"})
    with pytest.raises(ValueError, match="NOTARY_PUBLIC_RPC_URL"), TestClient(create_app(settings)):
        pass
