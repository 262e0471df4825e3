"""Health, readiness, metrics, chain, service keys, batches, CORS, limits, OpenAPI."""

from __future__ import annotations

import json
from pathlib import Path

from fastapi.testclient import TestClient
from web3 import Web3

from api.app import create_app
from notary.pipeline.batcher import document_counts
from notary.store.migrate import upgrade
from tests.api.conftest import ApiEnv, Issuer, api_settings, funded


def test_health_ready_and_metrics(api: ApiEnv, issuer: Issuer) -> None:
    assert api.client.get("/healthz").json() == {"status": "ok"}
    ready = api.client.get("/readyz").json()
    assert ready["database"] == "ok" and ready["chain"]["status"] == "ok"
    api.notarise(issuer)
    text = api.client.get("/metrics").text
    for name in (
        "notary_documents_accepted_total",
        "notary_documents{",
        "notary_anchoring_lag_seconds",
        "notary_batch_size_documents_bucket",
        "notary_chain_gas_used",
        'notary_http_request_duration_seconds_bucket{route="/v1/documents"',
    ):
        assert name in text, name


def test_metrics_report_gas_used_from_receipts(api: ApiEnv, issuer: Issuer) -> None:
    api.notarise(issuer)
    api.drain()
    text = api.client.get("/metrics").text
    gas = _sample(text, 'notary_chain_gas_used{kind="anchor",state="final"}')
    fees = _sample(text, 'notary_chain_fees_wei{kind="anchor",state="final"}')
    # Each anchor costs ~47,000 gas whatever the batch size (the signed limit is higher).
    anchors = _sample(text, 'notary_chain_operations{kind="anchor",state="final"}')
    assert anchors >= 1 and 40_000 * anchors <= gas <= 50_000 * anchors
    assert fees > 0


def _sample(text: str, series: str) -> float:
    line = next(line for line in text.splitlines() if line.startswith(series + " "))
    return float(line.rsplit(" ", 1)[1])


def test_chain_service_and_batches(api: ApiEnv) -> None:
    chain = api.client.get("/v1/chain").json()
    assert chain["reachable"] and chain["contract"] == api.registry.address
    assert chain["chain"] == f"eip155:{chain['chainId']}"
    service = api.client.get("/v1/service").json()
    assert service["receiptFormat"] == "notary-receipt-v1"
    assert len(service["keys"][0]["keyId"]) == 16 and service["keys"][0]["validUntil"] is None
    schema = api.client.get("/v1/service/receipt-schema.json").json()
    formats = [one["properties"]["format"]["const"] for one in schema["oneOf"]]
    assert "$defs" not in json.dumps(schema) and formats == [
        "notary-receipt-v1",
        "notary-receipt-v2",
    ]
    assert api.client.get("/v1/batches/999999").status_code == 404
    assert api.client.get("/v1/batches/0").status_code == 422


def test_cors_is_open_for_public_endpoints_only(api: ApiEnv, issuer: Issuer) -> None:
    origin = {"Origin": "https://importer.example"}
    verify = api.client.post("/v1/verify", json={}, headers=origin)
    assert verify.headers["access-control-allow-origin"] == "*"
    assert (
        api.client.get("/v1/issuers", headers=origin).headers["access-control-allow-origin"] == "*"
    )
    private = api.client.post("/v1/documents", json={}, headers={**origin, **issuer.headers})
    assert "access-control-allow-origin" not in private.headers
    pre = {**origin, "Access-Control-Request-Method": "POST"}
    assert api.client.options("/v1/verify", headers=pre).status_code == 204
    assert api.client.options("/v1/documents", headers=pre).status_code == 403


def test_rate_limits_answer_429(w3: Web3, api: ApiEnv, tmp_path: Path, issuer: Issuer) -> None:
    settings = api_settings(
        tmp_path,
        w3,
        api.registry.address,
        funded(w3),
        database_url=api.settings.resolved_database_url,
        rate_limit_per_s=0.01,
        rate_limit_burst=2,
        public_rate_limit_per_s=0.01,
        public_rate_limit_burst=2,
    )
    upgrade(settings.resolved_database_url)
    with TestClient(create_app(settings)) as limited:
        codes = [limited.get("/v1/chain").status_code for _ in range(3)]
        assert codes[:2] == [200, 200] and codes[2] == 429
        r = limited.get("/v1/issuers")
        assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1
        keyed = [
            limited.get(f"/v1/documents/0x{'00' * 32}", headers=issuer.headers).status_code
            for _ in range(3)
        ]
        assert keyed == [404, 404, 429]


def test_openapi_is_complete_and_docs_serve(api: ApiEnv) -> None:
    spec = api.client.get("/openapi.json").json()
    schemas = spec["components"]["schemas"]
    for name in (
        "DocumentSubmission",
        "BulkSubmission",
        "VerifyRequest",
        "ProblemOut",
        "DocumentOut",
    ):
        assert name in schemas, name
    post = spec["paths"]["/v1/documents"]["post"]
    assert set(post["requestBody"]["content"]) == {"application/json", "multipart/form-data"}
    assert "application/problem+json" in post["responses"]["422"]["content"]
    assert {"202", "200", "401", "413", "415"} <= set(post["responses"])
    assert api.client.get("/docs").status_code == 200
    missing = api.client.get("/v1/nothing")
    assert (
        missing.status_code == 404 and missing.headers["content-type"] == "application/problem+json"
    )


def _gauge(text: str, series: str) -> float:
    line = next(x for x in text.splitlines() if x.startswith(series + " "))
    return float(line.split()[-1])


def test_metrics_and_readiness_count_documents_as_they_read(api: ApiEnv, issuer: Issuer) -> None:
    """Anchored is derived from the batch being final (only pending/sealed are stored)."""
    api.notarise(issuer)
    api.drain()
    api.notarise(issuer)
    with api.store.read() as conn:
        counts = document_counts(conn)
    assert counts["anchored"] >= 1 and counts["pending"] >= 1
    text = api.client.get("/metrics").text
    for status, count in counts.items():
        assert _gauge(text, f'notary_documents{{status="{status}"}}') == count, status
    assert api.client.get("/readyz").json()["worker"]["documents"] == counts
