"""The published schema of a submission says what the service accepts: exactly one of
`digest` and `document`, and a digest in one of the forms `Digest.parse` reads."""

from __future__ import annotations

import os
from typing import Any

import jsonschema_rs
import pytest

from tests.api.conftest import ApiEnv, Issuer


def _validator(api: ApiEnv, component: str) -> jsonschema_rs.Validator:
    document = api.client.get("/openapi.json").json()
    schema = {"$ref": f"#/components/schemas/{component}", "components": document["components"]}
    return jsonschema_rs.validator_for(schema)


def _items() -> list[tuple[dict[str, Any], bool]]:
    """Submissions, and whether each is acceptable."""
    hex64 = os.urandom(32).hex()
    return [
        ({"digest": "0x" + hex64}, True),
        ({"digest": "sha256:" + hex64.upper(), "document": None}, True),
        ({"document": {"certificate": os.urandom(8).hex()}, "digest": None}, True),
        ({"digest": None, "document": None}, False),
        ({}, False),
        ({"metadata": {"documentType": "permit"}}, False),
        ({"digest": hex64, "document": {"a": 1}}, False),
        ({"digest": "0x" + hex64[:-1]}, False),
        ({"digest": "not hex, but short"}, False),
    ]


@pytest.mark.parametrize(("item", "acceptable"), _items())
def test_schema_and_service_agree_on_one_submission(
    api: ApiEnv, issuer: Issuer, item: dict[str, Any], acceptable: bool
) -> None:
    assert _validator(api, "DocumentSubmission").is_valid(item) is acceptable
    r = api.client.post("/v1/documents", json=item, headers=issuer.headers)
    assert (r.status_code in (200, 202)) is acceptable, r.text


@pytest.mark.parametrize(("item", "acceptable"), _items())
def test_schema_and_service_agree_on_a_bulk_item(
    api: ApiEnv, issuer: Issuer, item: dict[str, Any], acceptable: bool
) -> None:
    body = {"documents": [{"digest": "0x" + os.urandom(32).hex()}, item]}
    assert _validator(api, "BulkSubmission").is_valid(body) is acceptable
    r = api.client.post("/v1/documents:bulk", json=body, headers=issuer.headers)
    assert (r.status_code in (200, 202)) is acceptable, r.text
    if not acceptable:
        assert r.json()["field"].startswith("documents[1]")
