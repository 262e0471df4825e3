"""POST /v1/documents (JSON, upload, idempotency), bulk, and the document reads."""

from __future__ import annotations

import hashlib
import os
from xml.etree import ElementTree

from api.routers.documents import MAX_BULK_DOCUMENTS
from notary.core.receipts import Receipt
from notary.core.signing import public_key_from_hex
from notary.verify import verify_receipt
from tests.api.conftest import ApiEnv, Issuer
from tests.api.qr_reader import decode

PROBLEM = "application/problem+json"
SVG = "{http://www.w3.org/2000/svg}"


def service_keys(api: ApiEnv) -> dict[str, object]:
    keys = api.client.get("/v1/service").json()["keys"]
    return {k["keyId"]: public_key_from_hex(k["publicKey"]) for k in keys}


def test_notarise_by_digest_returns_a_signed_pending_receipt(api: ApiEnv, issuer: Issuer) -> None:
    digest = "0x" + os.urandom(32).hex()
    r = api.client.post(
        "/v1/documents",
        json={"digest": digest, "metadata": {"documentNumber": "EC-1", "issuedOn": "2024-05-01"}},
        headers=issuer.headers,
    )
    assert r.status_code == 202, r.text
    body = r.json()
    assert body["status"] == "pending" and body["created"] is True
    assert body["digest"] == digest and body["issuer"]["address"] == issuer.address
    assert body["links"]["verify"] == f"http://testserver/v/{body['leaf']}"
    assert r.headers["location"] == body["links"]["self"]
    receipt = Receipt.from_dict(body["receipt"])
    assert receipt.status == "pending" and receipt.service.promised_by
    assert receipt.metadata is not None and len(str(receipt.metadata["salt"])) == 32
    inclusion = verify_receipt(receipt, public_keys=service_keys(api))  # type: ignore[arg-type]
    assert inclusion.ok, inclusion.steps


def test_the_same_document_again_returns_200_and_the_first_record(
    api: ApiEnv, issuer: Issuer
) -> None:
    body = {"digest": os.urandom(32).hex(), "metadata": {"holder": "Công ty A"}}
    first = api.client.post("/v1/documents", json=body, headers=issuer.headers)
    again = api.client.post("/v1/documents", json=body, headers=issuer.headers)
    assert (first.status_code, again.status_code) == (202, 200)
    assert again.json()["leaf"] == first.json()["leaf"] and again.json()["created"] is False


def test_upload_is_hashed_while_streaming(api: ApiEnv, issuer: Issuer) -> None:
    data = os.urandom(300_000)
    r = api.client.post(
        "/v1/documents",
        files={"file": ("permit.pdf", data, "application/pdf")},
        data={"metadata": '{"documentType": "permit"}'},
        headers=issuer.headers,
    )
    assert r.status_code == 202, r.text
    assert r.json()["digest"] == "0x" + hashlib.sha256(data).hexdigest()
    assert r.json()["metadata"]["documentType"] == "permit"


def test_json_certificate_is_hashed_in_canonical_form(api: ApiEnv, issuer: Issuer) -> None:
    doc = {"b": 1, "a": "x"}
    r = api.client.post("/v1/documents", json={"document": doc}, headers=issuer.headers)
    assert r.status_code == 202
    assert r.json()["digest"] == "0x" + hashlib.sha256(b'{"a":"x","b":1}').hexdigest()


def test_idempotency_key_replays_and_refuses_reuse(api: ApiEnv, issuer: Issuer) -> None:
    headers = {**issuer.headers, "Idempotency-Key": "req-" + os.urandom(4).hex()}
    body = {"digest": os.urandom(32).hex()}
    first = api.client.post("/v1/documents", json=body, headers=headers)
    replay = api.client.post("/v1/documents", json=body, headers=headers)
    assert first.status_code == replay.status_code == 202
    assert first.json()["leaf"] == replay.json()["leaf"]
    other = api.client.post("/v1/documents", json={"digest": os.urandom(32).hex()}, headers=headers)
    assert other.status_code == 422 and other.json()["field"] == "Idempotency-Key"


def test_bulk_accepts_many_and_reports_repeats(api: ApiEnv, issuer: Issuer) -> None:
    docs = [
        {"digest": os.urandom(32).hex(), "metadata": {"documentNumber": f"N-{i}"}}
        for i in range(50)
    ]
    r = api.client.post("/v1/documents:bulk", json={"documents": docs}, headers=issuer.headers)
    assert r.status_code == 202, r.text
    assert (r.json()["count"], r.json()["created"]) == (50, 50)
    again = api.client.post(
        "/v1/documents:bulk", json={"documents": docs[:5]}, headers=issuer.headers
    )
    assert again.status_code == 200 and again.json()["existing"] == 5
    assert [d["leaf"] for d in again.json()["documents"]] == [
        d["leaf"] for d in r.json()["documents"][:5]
    ]


def test_bulk_errors_name_the_item(api: ApiEnv, issuer: Issuer) -> None:
    docs = [{"digest": os.urandom(32).hex()}, {"digest": "0x1234"}]
    r = api.client.post("/v1/documents:bulk", json={"documents": docs}, headers=issuer.headers)
    assert r.status_code == 422 and r.json()["field"] == "documents[1].digest"
    too_many = {"documents": [{"digest": "00" * 32}] * (MAX_BULK_DOCUMENTS + 1)}
    r = api.client.post("/v1/documents:bulk", json=too_many, headers=issuer.headers)
    assert r.status_code == 422 and r.json()["field"] == "documents"


def test_status_receipt_and_qr(api: ApiEnv, issuer: Issuer) -> None:
    leaf = api.notarise(issuer)["leaf"]
    status = api.client.get(f"/v1/documents/{leaf}", headers=issuer.headers)
    assert status.status_code == 200 and status.json()["status"] == "pending"
    receipt = api.client.get(f"/v1/documents/{leaf}/receipt", headers=issuer.headers)
    assert receipt.headers["content-type"] == "application/json"
    assert f'filename="{leaf[2:18]}.receipt.json"' in receipt.headers["content-disposition"]
    assert Receipt.from_json(receipt.content).leaf.hex == leaf
    png = api.client.get(f"/v1/documents/{leaf}/qr.png", headers=issuer.headers)
    assert png.content.startswith(b"\x89PNG")


def test_qr_svg_decodes_to_the_short_url_printed_under_it(api: ApiEnv, issuer: Issuer) -> None:
    body = api.notarise(issuer)
    url = body["links"]["verify"]
    assert url == f"http://testserver/v/{body['leaf']}"
    r = api.client.get(body["links"]["qrSvg"], headers=issuer.headers)
    assert r.status_code == 200 and r.headers["content-type"] == "image/svg+xml"
    assert decode(r.text) == url
    svg = ElementTree.fromstring(r.content)
    (text,) = svg.findall(f"{SVG}text")
    lines = text.findall(f"{SVG}tspan")
    assert "".join(line.text or "" for line in lines) == url and len(lines) > 1
    width = float(svg.get("viewBox", "").split()[2])
    qr_bottom = float(svg.findall(f"{SVG}svg")[0].get("height", ""))
    for line in lines:
        assert float(line.get("textLength", "")) <= width  # fits the code's width
        assert float(line.get("y", "")) > qr_bottom  # under the code, not over it
    other = api.new_issuer()
    assert api.client.get(body["links"]["qrSvg"], headers=other.headers).status_code == 404


def test_anchored_receipt_after_the_worker(api: ApiEnv, issuer: Issuer) -> None:
    leaf = api.notarise(issuer, {"documentNumber": "Z"})["leaf"]
    api.drain()
    doc = api.client.get(f"/v1/documents/{leaf}", headers=issuer.headers).json()
    assert doc["status"] == "anchored" and doc["anchor"]["state"] == "final"
    batch = api.client.get(f"/v1/batches/{doc['batch']['id']}").json()
    assert batch["txHash"] == doc["anchor"]["txHash"]
    receipt = Receipt.from_json(
        api.client.get(f"/v1/documents/{leaf}/receipt", headers=issuer.headers).content
    )
    assert receipt.status == "anchored" and receipt.root is not None
    assert receipt.anchor is not None and receipt.anchor.contract == api.registry.address
    assert verify_receipt(receipt, public_keys=service_keys(api)).ok  # type: ignore[arg-type]


def test_bad_input_gets_problem_json(api: ApiEnv, issuer: Issuer) -> None:
    post = api.client.post
    h = issuer.headers
    cases = [
        (post("/v1/documents", json={"digest": "0x12"}, headers=h), 422, "digest"),
        (
            post("/v1/documents", json={"digest": "00" * 32, "metadata": {"salt": "x"}}, headers=h),
            422,
            "metadata.salt",
        ),
        (post("/v1/documents", json={"digest": "00" * 32, "extra": 1}, headers=h), 422, "extra"),
        (post("/v1/documents", json={}, headers=h), 422, "digest"),
        (
            post(
                "/v1/documents", content=b"{nope", headers={**h, "Content-Type": "application/json"}
            ),
            400,
            "$",
        ),
        (
            post(
                "/v1/documents",
                content=b"[" * 100_000,
                headers={**h, "Content-Type": "application/json"},
            ),
            400,
            "$",
        ),
        (
            post("/v1/documents", content=b"x", headers={**h, "Content-Type": "text/plain"}),
            415,
            "Content-Type",
        ),
        (post("/v1/documents", files={"other": ("a", b"x")}, headers=h), 422, "other"),
        (
            post("/v1/documents", data={"metadata": "{}"}, files={"x": ("", b"")}, headers=h),
            422,
            "x",
        ),
        (api.client.get("/v1/documents/0x12", headers=h), 422, "leaf"),
        (api.client.get("/v1/documents/0x" + "ab" * 32, headers=h), 404, "leaf"),
    ]
    for response, status, field in cases:
        assert response.status_code == status, (response.status_code, response.text)
        assert response.headers["content-type"] == PROBLEM
        problem = response.json()
        assert problem["type"].startswith("urn:notary:problem:") and problem["title"]
        assert problem.get("field") == field, problem


def test_upload_limit_is_enforced_while_streaming(api: ApiEnv, issuer: Issuer) -> None:
    limit = api.settings.max_upload_bytes

    def chunks():  # no Content-Length: only counting while reading can stop it
        for _ in range(limit // 65536 + 2):
            yield b"x" * 65536

    r = api.client.post(
        "/v1/documents",
        content=chunks(),
        headers={**issuer.headers, "Content-Type": "multipart/form-data; boundary=b"},
    )
    assert r.status_code == 413 and r.headers["content-type"] == PROBLEM
    big = api.client.post(
        "/v1/documents", files={"file": ("a", b"x" * (limit + 1))}, headers=issuer.headers
    )
    assert big.status_code == 413


def test_auth_is_required_and_checked(api: ApiEnv) -> None:
    body = {"digest": "00" * 32}
    missing = api.client.post("/v1/documents", json=body)
    assert missing.status_code == 401 and "Bearer" in missing.headers["www-authenticate"]
    wrong = api.client.post("/v1/documents", json=body, headers={"Authorization": "Bearer nty_no"})
    assert wrong.status_code == 401
    basic = api.client.post("/v1/documents", json=body, headers={"Authorization": "Basic eA=="})
    assert basic.status_code == 401
    admin = api.client.post("/v1/documents", json=body, headers=api.admin)
    assert admin.status_code == 403
