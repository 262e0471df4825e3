"""POST /v1/verify: by digest + issuer, by file, by receipt, by leaf; every verdict it gives."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from web3 import Web3

from api.app import create_app
from notary.settings.service_key import key_file
from notary.store.migrate import upgrade
from tests.api.conftest import ApiEnv, Issuer, api_settings, funded


def test_pending_then_valid_by_digest_and_issuer(api: ApiEnv, issuer: Issuer) -> None:
    body = api.notarise(issuer)
    ask = {"digest": body["digest"], "issuer": issuer.address}
    pending = api.client.post("/v1/verify", json=ask).json()
    assert pending["verdict"] == "PENDING" and pending["leaf"] == body["leaf"]
    api.drain()
    valid = api.client.post("/v1/verify", json=ask).json()
    assert valid["verdict"] == "VALID", valid
    assert [s["name"] for s in valid["steps"]] == [
        "digest",
        "metadata",
        "issuer",
        "leaf",
        "proof",
        "signature",
    ]
    assert valid["confirmations"] >= 1 and valid["receipt"]["status"] == "anchored"


def test_by_uploaded_file(api: ApiEnv, issuer: Issuer) -> None:
    data = os.urandom(5000)
    api.client.post("/v1/documents", files={"file": ("p.pdf", data)}, headers=issuer.headers)
    api.drain()
    r = api.client.post(
        "/v1/verify", files={"file": ("p.pdf", data)}, data={"issuer": issuer.address}
    )
    assert r.status_code == 200 and r.json()["verdict"] == "VALID", r.text
    other = api.client.post(
        "/v1/verify", files={"file": ("p.pdf", b"forged")}, data={"issuer": issuer.address}
    )
    assert other.json()["verdict"] == "INVALID" and other.json()["failedStep"] == "digest"


def test_by_receipt_and_a_tampered_receipt(api: ApiEnv, issuer: Issuer) -> None:
    leaf = api.notarise(issuer, {"documentNumber": "R-1"})["leaf"]
    api.drain()
    receipt = api.client.get(f"/v1/documents/{leaf}/receipt", headers=issuer.headers).json()
    ok = api.client.post("/v1/verify", json={"receipt": receipt}).json()
    assert ok["verdict"] == "VALID" and "receipt" not in ok
    receipt["metadata"]["documentNumber"] = "R-2"
    bad = api.client.post("/v1/verify", json={"receipt": receipt}).json()
    assert bad["verdict"] == "INVALID" and bad["failedStep"] == "metadata"
    receipt["values"][0] = "0x12"
    malformed = api.client.post("/v1/verify", json={"receipt": receipt})
    assert malformed.status_code == 422 and malformed.json()["field"] == "receipt.values[0]"


def test_by_leaf_and_with_metadata(api: ApiEnv, issuer: Issuer) -> None:
    body = api.notarise(issuer, {"documentNumber": "M-1"})
    by_leaf = api.client.post("/v1/verify", json={"leaf": body["leaf"]}).json()
    assert by_leaf["verdict"] == "PENDING"
    ask = {"digest": body["digest"], "issuer": issuer.address}
    same = api.client.post("/v1/verify", json={**ask, "metadata": {"documentNumber": "M-1"}})
    assert same.json()["leaf"] == body["leaf"]
    other = api.client.post("/v1/verify", json={**ask, "metadata": {"documentNumber": "M-2"}})
    assert other.status_code == 422 and other.json()["field"] == "metadata"
    salted = api.client.post("/v1/verify", json={**ask, "metadata": body["metadata"]}).json()
    assert salted["verdict"] == "PENDING"


def test_unknown_digest_is_invalid_and_missing_input_is_422(api: ApiEnv, issuer: Issuer) -> None:
    r = api.client.post(
        "/v1/verify", json={"digest": os.urandom(32).hex(), "issuer": issuer.address}
    )
    assert r.json()["verdict"] == "INVALID" and r.json()["failedStep"] == "digest"
    assert api.client.post("/v1/verify", json={}).status_code == 422
    assert (
        api.client.post("/v1/verify", json={"issuer": issuer.address}).json()["field"] == "digest"
    )
    assert api.client.post("/v1/verify", json={"leaf": "0x" + "ef" * 32}).status_code == 404


def test_revoked_after_the_worker(api: ApiEnv, issuer: Issuer) -> None:
    body = api.notarise(issuer)
    api.drain()
    r = api.client.post(
        f"/v1/documents/{body['leaf']}/revoke", json={"reason": 3}, headers=issuer.headers
    )
    assert r.status_code == 202
    api.drain()
    verdict = api.client.post("/v1/verify", json={"leaf": body["leaf"]}).json()
    assert verdict["verdict"] == "REVOKED" and verdict["revocationReason"] == 3
    status = api.client.get(f"/v1/documents/{body['leaf']}", headers=issuer.headers).json()
    assert status["revocation"]["state"] == "revoked"


def test_unreachable_chain_is_unverifiable(
    api: ApiEnv, issuer: Issuer, w3: Web3, tmp_path: Path
) -> None:
    leaf = api.notarise(issuer)["leaf"]
    api.drain()
    receipt = api.client.get(f"/v1/documents/{leaf}/receipt", headers=issuer.headers).json()
    settings = api_settings(
        tmp_path,
        w3,
        api.registry.address,
        funded(w3),
        rpc_url="http://127.0.0.1:9",  # discard port: nothing answers
        service_key_file=key_file(api.settings),
    )
    upgrade(settings.resolved_database_url)
    with TestClient(create_app(settings)) as offline:
        r = offline.post("/v1/verify", json={"receipt": receipt})
        assert r.status_code == 200 and r.json()["verdict"] == "UNVERIFIABLE", r.text
        chain = offline.get("/v1/chain").json()
        assert chain["reachable"] is False
        assert offline.get("/readyz").json()["status"] == "degraded"


@pytest.mark.parametrize("field", ["metadata", "receipt"])
def test_form_fields_must_be_json_objects(api: ApiEnv, field: str) -> None:
    r = api.client.post("/v1/verify", files={"file": ("a", b"x")}, data={field: "[1]"})
    assert r.status_code == 422 and r.json()["field"] == field
    assert json.loads(r.text)["status"] == 422
