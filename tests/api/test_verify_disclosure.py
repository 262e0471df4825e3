"""POST /v1/verify shows unpublished metadata, the salt and the receipt only to a caller
who proves possession; a digest alone finds every issuer that notarised it."""

from __future__ import annotations

import hashlib
import os
from typing import Any

from api.schemas.verify import EXAMPLE_RECEIPT
from notary.core.merkle import leaf_hash, process_proof
from notary.core.receipts import Receipt
from tests.api.conftest import ApiEnv, Issuer

FACTS = {
    "documentType": "export-certificate",
    "documentNumber": "TH-2026-0042",
    "holder": "Nguyễn Thị Hoa",
    "product": "Vải thiều Thanh Hà",
    "origin": "Thanh Hà, Hải Dương",
}


def _notarise(api: ApiEnv, issuer: Issuer, body: dict[str, Any]) -> dict[str, Any]:
    r = api.client.post("/v1/documents", json=body, headers=issuer.headers)
    assert r.status_code == 202, r.text
    result: dict[str, Any] = r.json()
    return result


def test_anonymous_leaf_lookup_reveals_no_salt_and_no_unpublished_field(
    api: ApiEnv, issuer: Issuer
) -> None:
    doc = _notarise(api, issuer, {"digest": "0x" + os.urandom(32).hex(), "metadata": FACTS})
    api.drain()
    out = api.client.post("/v1/verify", json={"leaf": doc["leaf"]}).json()
    assert out["verdict"] == "VALID", out
    assert out["metadata"] == {k: v for k, v in FACTS.items() if k != "holder"}
    assert "receipt" not in out
    salt = doc["metadata"]["salt"]
    assert salt not in str(out) and "Nguyễn Thị Hoa" not in str(out)


def test_the_issuer_chooses_what_is_public(api: ApiEnv, issuer: Issuer) -> None:
    body = {"digest": "0x" + os.urandom(32).hex(), "metadata": FACTS, "public": ["product"]}
    doc = _notarise(api, issuer, body)
    assert doc["metadata"]["publicFields"] == ["product"]
    out = api.client.post("/v1/verify", json={"leaf": doc["leaf"]}).json()
    assert out["verdict"] == "PENDING" and out["metadata"] == {"product": FACTS["product"]}
    bad = api.client.post(
        "/v1/documents", json={**body, "public": ["nope"]}, headers=issuer.headers
    )
    assert bad.status_code == 422 and bad.json()["field"] == "public[0]"


def test_public_list_in_forms_and_bulk(api: ApiEnv, issuer: Issuer) -> None:
    form = api.client.post(
        "/v1/documents",
        files={"file": ("c.pdf", os.urandom(100))},
        data={"metadata": '{"product": "Cà rốt", "holder": "X"}', "public": "product, holder"},
        headers=issuer.headers,
    )
    assert form.status_code == 202 and form.json()["metadata"]["publicFields"] == [
        "product",
        "holder",
    ]
    items = [
        {"digest": os.urandom(32).hex(), "metadata": {"product": "Cà rốt"}, "public": []},
        {"digest": os.urandom(32).hex(), "metadata": {"product": "Cà rốt"}, "public": ["x"]},
    ]
    bulk = api.client.post("/v1/documents:bulk", json={"documents": items}, headers=issuer.headers)
    assert bulk.status_code == 422 and bulk.json()["field"] == "documents[1].public[0]"
    ok = api.client.post(
        "/v1/documents:bulk", json={"documents": items[:1]}, headers=issuer.headers
    )
    leaf = ok.json()["documents"][0]["leaf"]
    assert api.client.post("/v1/verify", json={"leaf": leaf}).json()["metadata"] == {}


def test_leaf_with_the_right_digest_sees_everything(api: ApiEnv, issuer: Issuer) -> None:
    digest = "0x" + os.urandom(32).hex()
    doc = _notarise(api, issuer, {"digest": digest, "metadata": FACTS})
    api.drain()
    full = api.client.post("/v1/verify", json={"leaf": doc["leaf"], "digest": digest}).json()
    assert full["verdict"] == "VALID" and full["metadata"] == doc["metadata"]
    assert Receipt.from_dict(full["receipt"]).status == "anchored"
    wrong = api.client.post(
        "/v1/verify", json={"leaf": doc["leaf"], "digest": "0x" + os.urandom(32).hex()}
    ).json()
    assert wrong["verdict"] == "INVALID" and wrong["failedStep"] == "digest"
    assert "receipt" not in wrong and "holder" not in wrong["metadata"]


def test_a_form_leaf_field_verifies(api: ApiEnv, issuer: Issuer) -> None:
    doc = _notarise(api, issuer, {"digest": "0x" + os.urandom(32).hex()})
    r = api.client.post("/v1/verify", data={"leaf": doc["leaf"]}, files={"x": ("", b"")})
    assert r.status_code == 422  # an unknown part is still refused by name
    r = api.client.post("/v1/verify", files={"leaf": (None, doc["leaf"])})  # curl -F leaf=…
    assert r.status_code == 200 and r.json()["verdict"] == "PENDING", r.text


def test_a_file_alone_finds_every_issuer(api: ApiEnv) -> None:
    data = os.urandom(3000)
    first, second = api.new_issuer("Sở Tài nguyên và Môi trường"), api.new_issuer("Chi cục")
    for who in (first, second):
        r = api.client.post("/v1/documents", files={"file": ("p.pdf", data)}, headers=who.headers)
        assert r.status_code == 202
    api.drain()
    out = api.client.post("/v1/verify", files={"file": ("p.pdf", data)}).json()
    assert out["count"] == 2 and out["digest"] == "0x" + hashlib.sha256(data).hexdigest()
    assert [r["issuer"] for r in out["results"]] == [first.address, second.address]
    for result, name in zip(out["results"], [first.name, second.name], strict=True):
        assert result["verdict"] == "VALID" and result["receipt"]["status"] == "anchored"
        assert result["issuerName"] == name and result["issuerNameSource"] == "chain"
        assert result["issuerActive"] is True
    by_digest = api.client.post("/v1/verify", json={"digest": out["digest"]}).json()
    assert by_digest["count"] == 2


def test_an_unknown_digest_alone_is_invalid(api: ApiEnv) -> None:
    out = api.client.post("/v1/verify", json={"digest": os.urandom(32).hex()})
    assert out.status_code == 200
    body = out.json()
    assert body["count"] == 0 and body["results"] == [] and body["verdict"] == "INVALID"


def test_the_proof_part_folds_to_the_anchored_root(api: ApiEnv, issuer: Issuer) -> None:
    docs = [_notarise(api, issuer, {"digest": "0x" + os.urandom(32).hex()}) for _ in range(5)]
    api.drain()
    out = api.client.post("/v1/verify", json={"leaf": docs[2]["leaf"]}).json()
    proof = out["proof"]
    receipt = Receipt.from_dict(
        {**EXAMPLE_RECEIPT, "values": proof["values"], "leaf": proof["leaf"]}
    )
    assert leaf_hash(receipt.values).hex == proof["leaf"] == docs[2]["leaf"]
    folded = process_proof(receipt.leaf, [bytes.fromhex(p[2:]) for p in proof["proof"]])
    assert "0x" + folded.hex() == proof["root"]
    assert proof["anchor"]["chainId"] == 31337 and out["requiredConfirmations"] == 0


def test_revocation_reason_has_a_name(api: ApiEnv, issuer: Issuer) -> None:
    doc = _notarise(api, issuer, {"digest": "0x" + os.urandom(32).hex()})
    api.drain()
    api.client.post(
        f"/v1/documents/{doc['leaf']}/revoke", json={"reason": 2}, headers=issuer.headers
    )
    api.drain()
    out = api.client.post("/v1/verify", json={"leaf": doc["leaf"]}).json()
    assert out["verdict"] == "REVOKED" and out["revocationReasonName"] == "superseded"


def test_the_openapi_receipt_example_is_accepted(api: ApiEnv) -> None:
    r = api.client.post("/v1/verify", json={"receipt": EXAMPLE_RECEIPT})
    assert r.status_code == 200 and r.json()["failedStep"] == "leaf", r.text


def test_a_form_with_both_a_file_and_a_digest_is_refused(api: ApiEnv) -> None:
    r = api.client.post("/v1/verify", files={"file": ("a.pdf", b"x"), "digest": (None, "00" * 32)})
    assert r.status_code == 422 and r.json()["field"] == "digest"
    empty = api.client.post("/v1/verify", files={"receipt": (None, "")})
    assert empty.status_code == 422 and empty.json()["field"] == "digest"
