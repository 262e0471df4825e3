"""Issuers and API keys (admin), and isolation between two issuers."""

from __future__ import annotations

from eth_account import Account

from tests.api.conftest import ApiEnv, Issuer


def test_register_list_and_conflict(api: ApiEnv) -> None:
    address = Account.create().address
    body = {"address": address, "name": "Chi cục Thú y vùng IV", "jurisdiction": "VN-DN"}
    created = api.client.post("/v1/issuers", json=body, headers=api.admin)
    assert created.status_code == 201 and created.json()["status"] == "active"
    assert created.json()["onchain"] == "unregistered"
    again = api.client.post("/v1/issuers", json=body, headers=api.admin)
    assert again.status_code == 409 and again.json()["field"] == "address"
    listed = api.client.get("/v1/issuers").json()["issuers"]
    assert any(i["address"] == address for i in listed)
    assert api.client.get(f"/v1/issuers/{address}").json()["name"] == body["name"]
    missing = api.client.get(f"/v1/issuers/{Account.create().address}")
    assert missing.status_code == 404


def test_registration_reaches_the_chain(api: ApiEnv, issuer: Issuer) -> None:
    api.drain()
    assert api.client.get(f"/v1/issuers/{issuer.address}").json()["onchain"] == "registered"
    assert api.registry.issuer_of(issuer.address).registered


def test_admin_endpoints_need_the_admin_key(api: ApiEnv, issuer: Issuer) -> None:
    body = {"address": Account.create().address, "name": "x"}
    assert api.client.post("/v1/issuers", json=body, headers=issuer.headers).status_code == 403
    assert api.client.post("/v1/issuers", json=body).status_code == 401
    keys = f"/v1/issuers/{issuer.address}/keys"
    assert api.client.post(keys, headers=issuer.headers).status_code == 403
    assert api.client.get(keys, headers=issuer.headers).status_code == 403
    bad = api.client.post("/v1/issuers", json={"address": "0x12", "name": "x"}, headers=api.admin)
    assert bad.status_code == 422 and bad.json()["field"] == "address"
    typed = api.client.post(
        "/v1/issuers", content=b"x", headers={**api.admin, "Content-Type": "text/plain"}
    )
    assert typed.status_code == 415


def test_key_is_shown_once_and_revocable(api: ApiEnv, issuer: Issuer) -> None:
    path = f"/v1/issuers/{issuer.address}/keys"
    extra = api.client.post(path, headers=api.admin).json()
    listed = api.client.get(path, headers=api.admin).json()["keys"]
    assert all("key" not in k for k in listed) and len(listed) == 2
    headers = {"Authorization": f"Bearer {extra['key']}"}
    assert api.client.post(
        "/v1/documents", json={"digest": "11" * 32}, headers=headers
    ).status_code in (200, 202)
    revoked = api.client.delete(f"{path}/{extra['id']}", headers=api.admin)
    assert revoked.status_code == 200 and revoked.json()["revokedAt"]
    assert (
        api.client.post("/v1/documents", json={"digest": "11" * 32}, headers=headers).status_code
        == 401
    )
    assert api.client.delete(f"{path}/999999", headers=api.admin).status_code == 404


def test_deactivated_issuer_cannot_notarise(api: ApiEnv) -> None:
    issuer = api.new_issuer()
    r = api.client.post(f"/v1/issuers/{issuer.address}/deactivate", headers=api.admin)
    assert r.status_code == 200 and r.json()["status"] == "deactivated"
    again = api.client.post(f"/v1/issuers/{issuer.address}/deactivate", headers=api.admin)
    assert again.status_code == 403
    refused = api.client.post("/v1/documents", json={"digest": "22" * 32}, headers=issuer.headers)
    assert refused.status_code == 403 and refused.json()["type"].endswith("issuer-deactivated")
    unknown = api.client.post(
        f"/v1/issuers/{Account.create().address}/deactivate", headers=api.admin
    )
    assert unknown.status_code == 404


def test_issuers_see_and_revoke_only_their_own_documents(api: ApiEnv) -> None:
    alice, bob = api.new_issuer("Alice"), api.new_issuer("Bob")
    leaf = api.notarise(alice)["leaf"]
    for path in ("", "/receipt", "/qr.svg", "/qr.png"):
        assert api.client.get(f"/v1/documents/{leaf}{path}", headers=bob.headers).status_code == 404
        assert (
            api.client.get(f"/v1/documents/{leaf}{path}", headers=alice.headers).status_code == 200
        )
        assert api.client.get(f"/v1/documents/{leaf}{path}", headers=api.admin).status_code == 200
    revoke = {"reason": 2, "note": "withdrawn"}
    denied = api.client.post(f"/v1/documents/{leaf}/revoke", json=revoke, headers=bob.headers)
    assert denied.status_code == 404
    ok = api.client.post(f"/v1/documents/{leaf}/revoke", json=revoke, headers=alice.headers)
    assert ok.status_code == 202 and ok.json()["state"] == "requested"
    repeat = api.client.post(f"/v1/documents/{leaf}/revoke", json=revoke, headers=api.admin)
    assert repeat.status_code == 200 and repeat.json()["created"] is False


def test_revocation_input_errors(api: ApiEnv, issuer: Issuer) -> None:
    leaf = api.notarise(issuer)["leaf"]
    url = f"/v1/documents/{leaf}/revoke"
    for body in ({"reason": 0}, {"reason": 256}, {"reason": "x"}, {}):
        r = api.client.post(url, json=body, headers=issuer.headers)
        assert r.status_code == 422 and r.json()["field"] == "reason", r.text
    unknown = api.client.post(
        f"/v1/documents/0x{'cd' * 32}/revoke", json={"reason": 1}, headers=issuer.headers
    )
    assert unknown.status_code == 404


def test_control_characters_are_refused_in_names(api: ApiEnv, issuer: Issuer) -> None:
    address = Account.create().address
    for field, body in (
        ("name", {"address": address, "name": "ab\u0000cd"}),
        ("jurisdiction", {"address": address, "name": "Sở", "jurisdiction": "VN\u202eHN"}),
    ):
        r = api.client.post("/v1/issuers", json=body, headers=api.admin)
        assert r.status_code == 422 and r.json()["field"] == field, r.text
    assert api.client.get(f"/v1/issuers/{address}").status_code == 404
    doc = {"digest": "22" * 32, "metadata": {"ab\u0000cd": "x"}}
    r = api.client.post("/v1/documents", json=doc, headers=issuer.headers)
    assert r.status_code == 422 and r.json()["field"] == "metadata.ab\\u0000cd"


def test_a_name_reading_as_another_issuers_is_refused_naming_it(api: ApiEnv) -> None:
    first = Account.create().address
    name = "Chi cục Kiểm lâm tỉnh Lâm Đồng"
    body = {"address": first, "name": name}
    assert api.client.post("/v1/issuers", json=body, headers=api.admin).status_code == 201
    for look_alike in (name, name.upper(), "\u0421hi cục Kiểm lâm tỉnh Lâm Đồng"):
        r = api.client.post(
            "/v1/issuers",
            json={"address": Account.create().address, "name": look_alike},
            headers=api.admin,
        )
        assert r.status_code == 422, r.text
        problem = r.json()
        assert problem["field"] == "name"
        assert first in problem["detail"] or "Cyrillic" in problem["detail"]


def test_the_zero_address_cannot_be_an_issuer(api: ApiEnv) -> None:
    body = {"address": "0x" + "0" * 40, "name": "Chi cục Không địa chỉ"}
    r = api.client.post("/v1/issuers", json=body, headers=api.admin)
    assert r.status_code == 422 and r.json()["field"] == "address", r.text
    assert "zero address" in r.json()["detail"]
    assert api.client.get(f"/v1/issuers/{body['address']}").status_code == 404
