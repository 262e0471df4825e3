"""GET /v/{leaf}/label: the printable A6 label, for the document's issuer (or admin) only."""

from __future__ import annotations

import re

from api.routers.label import document_number
from tests.api.conftest import ApiEnv, Issuer
from tests.api.qr_reader import decode

PROBLEM = "application/problem+json"
FORBIDDEN_WORDS = ("công chứng", "chứng thực")


def test_label_without_a_key_is_401(api: ApiEnv, issuer: Issuer) -> None:
    leaf = api.notarise(issuer)["leaf"]
    r = api.client.get(f"/v/{leaf}/label")
    assert r.status_code == 401 and r.headers["content-type"] == PROBLEM
    assert r.headers["www-authenticate"].startswith("Bearer")


def test_another_issuers_key_gets_404_as_for_an_unknown_leaf(api: ApiEnv, issuer: Issuer) -> None:
    leaf = api.notarise(issuer)["leaf"]
    other = api.new_issuer("Sở Tài nguyên và Môi trường")
    theirs = api.client.get(f"/v/{leaf}/label", headers=other.headers)
    unknown = api.client.get("/v/0x" + "ab" * 32 + "/label", headers=other.headers)
    assert theirs.status_code == unknown.status_code == 404
    assert theirs.json()["type"] == unknown.json()["type"]


def test_label_prints_qr_url_issuer_number_and_date(api: ApiEnv, issuer: Issuer) -> None:
    body = api.notarise(issuer, {"documentNumber": "XK-2026/0042", "product": "Vải thiều"})
    leaf, url = body["leaf"], body["links"]["verify"]
    r = api.client.get(f"/v/{leaf}/label", headers=issuer.headers)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    html = r.text
    printed = re.search(r'<figcaption class="url">(.*?)</figcaption>', html, re.S)
    assert printed is not None
    assert re.sub(r"<[^>]+>", "", printed.group(1)) == url == f"http://testserver/v/{leaf}"
    svg = re.search(r"<svg\b.*?</svg>", html, re.S)
    assert svg is not None and decode(svg.group(0)) == url
    assert "Sở Nông nghiệp và Phát triển nông thôn" in html
    assert "XK-2026/0042" in html
    assert body["acceptedAt"][:10] in html
    assert "size: A6" in api.client.get("/static/label/label.css").text
    assert not any(word in html.lower() for word in FORBIDDEN_WORDS)


def test_admin_may_print_any_label_and_a_label_without_number_omits_it(
    api: ApiEnv, issuer: Issuer
) -> None:
    leaf = api.notarise(issuer)["leaf"]
    r = api.client.get(f"/v/{leaf}/label", headers=api.admin)
    assert r.status_code == 200
    assert "Document number" not in r.text


def test_label_escapes_what_the_issuer_wrote(api: ApiEnv, issuer: Issuer) -> None:
    leaf = api.notarise(issuer, {"documentNumber": "<script>alert(1)</script>"})["leaf"]
    html = api.client.get(f"/v/{leaf}/label", headers=issuer.headers).text
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_document_number_is_a_string_or_an_integer_only() -> None:
    assert document_number({"documentNumber": "A-1"}) == "A-1"
    assert document_number({"documentNumber": 42}) == "42"
    assert document_number({"documentNumber": True}) is None
    assert document_number({"documentNumber": {"x": 1}}) is None
    assert document_number(None) is None
