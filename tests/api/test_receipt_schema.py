"""The published receipt schema (/v1/service/receipt-schema.json, and the OpenAPI document's
receipts) describes every receipt the service issues and every verifier reads: v1, or v2
with the issuer's signature; nothing else."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest

from tests.api.conftest import ApiEnv

RECEIPTS = Path(__file__).parents[1] / "vectors" / "receipts"
EXAMPLES = [
    "pending.receipt.json",
    "anchored.receipt.json",
    "pending-v2.receipt.json",
    "anchored-v2.receipt.json",
]


def _example(name: str) -> dict[str, Any]:
    receipt: dict[str, Any] = json.loads((RECEIPTS / name).read_text("utf-8"))
    return receipt


def _mutants() -> list[tuple[str, dict[str, Any]]]:
    v1, v2 = _example("anchored.receipt.json"), _example("anchored-v2.receipt.json")
    unknown = copy.deepcopy(v1) | {"format": "notary-receipt-v3"}
    v1_with_signature = copy.deepcopy(v1) | {"issuerSignature": v2["issuerSignature"]}
    v2_without = {k: v for k, v in v2.items() if k != "issuerSignature"}
    v2_bad_signer = copy.deepcopy(v2)
    v2_bad_signer["issuerSignature"]["signer"] = "0x1234"
    return [
        ("an unknown format", unknown),
        ("a v1 receipt carrying an issuer signature", v1_with_signature),
        ("a v2 receipt without its issuer signature", v2_without),
        ("a v2 receipt whose signer is no address", v2_bad_signer),
    ]


@pytest.fixture(scope="module")
def published(api: ApiEnv) -> jsonschema_rs.Validator:
    return jsonschema_rs.validator_for(api.client.get("/v1/service/receipt-schema.json").json())


@pytest.mark.parametrize("name", EXAMPLES)
def test_the_published_schema_takes_receipts_v1_and_v2(
    published: jsonschema_rs.Validator, name: str
) -> None:
    published.validate(_example(name))


@pytest.mark.parametrize(("what", "receipt"), _mutants(), ids=[m[0] for m in _mutants()])
def test_the_published_schema_refuses_what_no_verifier_reads(
    published: jsonschema_rs.Validator, what: str, receipt: dict[str, Any]
) -> None:
    assert not published.is_valid(receipt), what


def test_the_openapi_document_describes_receipts_alike(api: ApiEnv) -> None:
    document = api.client.get("/openapi.json").json()
    path = document["paths"]["/v1/documents/{leaf}/receipt"]["get"]
    schema = path["responses"]["200"]["content"]["application/json"]["schema"]
    validator = jsonschema_rs.validator_for({**schema, "components": document["components"]})
    for name in EXAMPLES:
        validator.validate(_example(name))
