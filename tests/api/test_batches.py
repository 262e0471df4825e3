"""`GET /v1/batches/{id}` in each state a batch goes through, checked against its schema."""

from __future__ import annotations

from typing import Any

import jsonschema_rs

from notary.pipeline.batcher import seal_due_batches
from tests.api.conftest import ApiEnv, Issuer


def _conforms(api: ApiEnv, component: str, body: Any) -> None:
    """`body` is valid against the OpenAPI component schema `component`."""
    document = api.client.get("/openapi.json").json()
    schema = {"$ref": f"#/components/schemas/{component}", "components": document["components"]}
    jsonschema_rs.validator_for(schema).validate(body)


def test_a_sealed_batch_says_it_is_not_anchored_yet(api: ApiEnv, issuer: Issuer) -> None:
    leaf = api.notarise(issuer)["leaf"]
    seal_due_batches(api.store, batch_interval_s=0)
    batch_id = api.client.get(f"/v1/documents/{leaf}", headers=issuer.headers).json()["batch"]["id"]
    body = api.client.get(f"/v1/batches/{batch_id}").json()
    assert body["state"] == "sealed" and body["sealedAt"]
    assert body["anchoredAt"] is None  # present: the schema requires it
    assert "txHash" not in body  # the anchor's fields come once it is mined
    _conforms(api, "BatchOut", body)


def test_an_anchored_batch_names_its_transaction(api: ApiEnv, issuer: Issuer) -> None:
    leaf = api.notarise(issuer)["leaf"]
    api.drain()
    batch_id = api.client.get(f"/v1/documents/{leaf}", headers=issuer.headers).json()["batch"]["id"]
    body = api.client.get(f"/v1/batches/{batch_id}").json()
    assert body["anchoredAt"] and body["txHash"].startswith("0x") and body["blockNumber"] > 0
    _conforms(api, "BatchOut", body)


def test_an_unknown_batch_is_404(api: ApiEnv) -> None:
    r = api.client.get(f"/v1/batches/{2**62}")
    assert r.status_code == 404 and r.json()["field"] == "batch_id"
