"""Secrets never reach logs or responses: a whole working day's traffic, every log record
at DEBUG, every response body and header searched for every secret the service holds."""

from __future__ import annotations

import logging
import os

import pytest
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from httpx2 import Response

from notary.settings.service_key import key_file
from tests.api.conftest import ADMIN_KEY, ApiEnv, Issuer

pytestmark = pytest.mark.anvil


def _secrets(api: ApiEnv, issuer: Issuer) -> dict[str, str]:
    anchor = api.settings.anchor_key
    assert anchor is not None
    private = load_pem_private_key(key_file(api.settings).read_bytes(), password=None)
    service_raw = private.private_bytes_raw()  # type: ignore[union-attr]
    return {
        "anchor key": anchor.get_secret_value().removeprefix("0x").lower(),
        "admin key": ADMIN_KEY,
        "issuer API key": issuer.key,
        "issuer API key body": issuer.key.split("_", 1)[-1],
        "service signing key": service_raw.hex(),
    }


def _traffic(api: ApiEnv, issuer: Issuer) -> list[Response]:
    c, h = api.client, issuer.headers
    wrong = {"Authorization": f"Bearer {issuer.key}x"}
    doc = c.post("/v1/documents", json={"digest": os.urandom(32).hex()}, headers=h)
    leaf = doc.json()["leaf"]
    responses = [
        doc,
        c.post("/v1/documents", json={"digest": os.urandom(32).hex()}, headers=wrong),
        c.post("/v1/documents", json={"digest": "nonsense"}, headers=h),
        c.get("/v1/issuers/" + issuer.address + "/keys", headers=api.admin),
        c.get("/v1/issuers/" + issuer.address + "/keys", headers=h),
    ]
    api.drain()
    responses += [
        c.get(f"/v1/documents/{leaf}/receipt", headers=h),
        c.post("/v1/verify", json={"leaf": leaf}),
        c.post(f"/v1/documents/{leaf}/revoke", json={"reason": 1}, headers=h),
        c.get("/readyz"),
        c.get("/metrics"),
        c.get("/v1/service"),
        c.get("/v1/chain"),
    ]
    api.drain()
    return responses


def test_no_secret_in_any_log_record_or_response(
    api: ApiEnv, issuer: Issuer, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        responses = _traffic(api, issuer)
    logged = "\n".join(r.getMessage() + repr(r.args) for r in caplog.records).lower()
    assert caplog.records, "the traffic should have logged something"
    for name, secret in _secrets(api, issuer).items():
        assert secret.lower() not in logged, f"{name} in the logs"
        for r in responses:
            seen = (r.text + repr(dict(r.headers))).lower()
            assert secret.lower() not in seen, f"{name} in {r.request.method} {r.request.url}"


def test_settings_do_not_print_their_secrets(api: ApiEnv) -> None:
    anchor = api.settings.anchor_key
    assert anchor is not None
    shown = repr(api.settings) + str(api.settings)
    assert anchor.get_secret_value() not in shown and ADMIN_KEY not in shown
