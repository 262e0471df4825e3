"""POST /v1/documents:receipts: many receipts in one request, only the caller's own."""

from __future__ import annotations

import os

from notary.core.receipts import Receipt
from tests.api.conftest import ApiEnv, Issuer


def test_receipts_in_the_order_asked_pending_then_anchored(api: ApiEnv, issuer: Issuer) -> None:
    leaves = [api.notarise(issuer)["leaf"] for _ in range(3)]
    asked = {"leaves": [leaves[2], leaves[0], leaves[1]]}
    pending = api.client.post("/v1/documents:receipts", json=asked, headers=issuer.headers)
    assert pending.status_code == 200, pending.text
    receipts = [Receipt.from_dict(r) for r in pending.json()["receipts"]]
    assert [r.leaf.hex for r in receipts] == asked["leaves"]
    assert {r.status for r in receipts} == {"pending"}
    api.drain()
    anchored = api.client.post("/v1/documents:receipts", json=asked, headers=issuer.headers)
    one = api.client.get(f"/v1/documents/{leaves[2]}/receipt", headers=issuer.headers).json()
    assert anchored.json()["receipts"][0] == one
    assert {r["status"] for r in anchored.json()["receipts"]} == {"anchored"}


def test_another_issuers_leaf_is_named_as_not_found(api: ApiEnv, issuer: Issuer) -> None:
    mine = api.notarise(issuer)["leaf"]
    theirs = api.notarise(api.new_issuer("Chi cục khác"))["leaf"]
    for leaves in ([mine, theirs], [mine, "0x" + os.urandom(32).hex()]):
        r = api.client.post(
            "/v1/documents:receipts", json={"leaves": leaves}, headers=issuer.headers
        )
        assert r.status_code == 404 and r.json()["field"] == "leaves[1]", r.text
    both = api.client.post(
        "/v1/documents:receipts", json={"leaves": [mine, theirs]}, headers=api.admin
    )
    assert both.status_code == 200 and len(both.json()["receipts"]) == 2


def test_bad_requests(api: ApiEnv, issuer: Issuer) -> None:
    post = api.client.post
    assert post("/v1/documents:receipts", json={"leaves": []}).status_code == 401
    h = issuer.headers
    assert post("/v1/documents:receipts", json={"leaves": []}, headers=h).status_code == 422
    bad = post("/v1/documents:receipts", json={"leaves": ["0x12"]}, headers=h)
    assert bad.status_code == 422 and bad.json()["field"] == "leaves[0]"
    many = {"leaves": ["0x" + "ab" * 32] * 10_001}
    assert post("/v1/documents:receipts", json=many, headers=h).status_code == 422
