"""The published receipt schema (/v1/service/receipt-schema.json, and the OpenAPI document's
receipts) describes every receipt the service issues and every verifier reads: v1, or v2
with the issuer's signature; nothing else. In /openapi.json the receipt is one component,
`Receipt`: one of ReceiptV1 and ReceiptV2 (notary/schemas/receipt-v1.json and -v2.json as
published), discriminated by `format`, and every request and answer that carries a receipt
refers to it."""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
from web3 import Web3

from notary.client.stamping import sign_submission, signed_metadata
from notary.core.types import Digest
from tests.api.conftest import ApiEnv, funded
from tests.api.test_signed_documents import Signing

RECEIPTS = Path(__file__).parents[1] / "vectors" / "receipts"
SCHEMAS = Path(__file__).parents[2] / "notary" / "schemas"
COMPONENTS = "#/components/schemas/"
FORMATS = {"notary-receipt-v1": "ReceiptV1", "notary-receipt-v2": "ReceiptV2"}
RECEIPT_REFS = {COMPONENTS + name for name in ["Receipt", *FORMATS.values()]}
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


@pytest.fixture(scope="module")
def openapi(api: ApiEnv) -> dict[str, Any]:
    document: dict[str, Any] = api.client.get("/openapi.json").json()
    return document


def _validator(openapi: dict[str, Any], schema: dict[str, Any]) -> jsonschema_rs.Validator:
    """A validator of `schema` whose references resolve in the OpenAPI document."""
    return jsonschema_rs.validator_for({**schema, "components": openapi["components"]})


def _receipt_refs(node: Any) -> list[str]:
    """Every reference to a receipt component in `node`."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        own = [ref] if ref in RECEIPT_REFS else []
        return own + [r for v in node.values() for r in _receipt_refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in _receipt_refs(v)]
    return []


def test_the_openapi_receipt_is_one_of_v1_and_v2_by_format(
    openapi: dict[str, Any], published: jsonschema_rs.Validator
) -> None:
    components = openapi["components"]["schemas"]
    receipt = components["Receipt"]
    mapping = {fmt: COMPONENTS + name for fmt, name in FORMATS.items()}
    assert receipt["discriminator"] == {"propertyName": "format", "mapping": mapping}
    assert receipt["oneOf"] == [{"$ref": ref} for ref in mapping.values()]
    for fmt, name in FORMATS.items():
        # As published in notary/schemas/: its properties, what it requires, its format.
        file = json.loads(
            (SCHEMAS / f"receipt-{fmt.removeprefix('notary-receipt-')}.json").read_text()
        )
        assert components[name]["properties"].keys() == file["properties"].keys()
        assert components[name]["required"] == file["required"]
        assert components[name]["properties"]["format"] == {"const": fmt}


def test_every_receipt_in_the_openapi_document_is_the_receipt_component(
    openapi: dict[str, Any],
) -> None:
    paths = openapi["paths"]
    assert '"const": "notary-receipt-v' not in json.dumps(paths)  # no copy of a format
    answer = paths["/v1/documents/{leaf}/receipt"]["get"]["responses"]["200"]
    assert _receipt_refs(answer) == [COMPONENTS + "Receipt"]
    assert set(_receipt_refs(paths)) == {COMPONENTS + "Receipt"}
    schemas = openapi["components"]["schemas"]
    users = {name for name, schema in schemas.items() if _receipt_refs(schema)} - {"Receipt"}
    # A document's status, a batch's receipts, and the receipt given to POST /v1/verify.
    assert users == {"DocumentOut", "ReceiptsOut", "VerifyRequest"}
    for name in users:
        assert set(_receipt_refs(schemas[name])) == {COMPONENTS + "Receipt"}, name


@pytest.fixture
def signing(api: ApiEnv, w3: Web3) -> Signing:
    """An agency that signs with a key it authorised on chain."""
    return Signing(api, api.new_issuer("Sở Tài nguyên và Môi trường"), funded(w3))


def test_real_receipts_v1_and_v2_validate_against_the_served_openapi_document(
    api: ApiEnv, signing: Signing, openapi: dict[str, Any]
) -> None:
    vouched = api.new_issuer("Chi cục Thủy sản")
    plain = api.notarise(vouched)["leaf"]
    meta = signed_metadata({"documentType": "environmental-permit", "documentNumber": "17"})
    doc = (Digest(os.urandom(32)), meta)
    signed = sign_submission(signing.key, signing.domain, signing.issuer.address, [doc])
    body = {"digest": doc[0].hex, "metadata": meta, **signed.fields(signing.issuer.address)}
    r = api.client.post("/v1/documents", json=body, headers=signing.issuer.headers)
    assert r.status_code == 202, r.text
    api.drain()
    answer = openapi["paths"]["/v1/documents/{leaf}/receipt"]["get"]["responses"]["200"]
    served = _validator(openapi, answer["content"]["application/json"]["schema"])
    issued = [
        (plain, vouched.headers, "notary-receipt-v1"),
        (r.json()["leaf"], signing.issuer.headers, "notary-receipt-v2"),
    ]
    for leaf, headers, fmt in issued:
        receipt = api.client.get(f"/v1/documents/{leaf}/receipt", headers=headers).json()
        assert receipt["format"] == fmt and receipt["status"] == "anchored"
        served.validate(receipt)
        own, other = (
            _validator(openapi, {"$ref": COMPONENTS + name})
            for name in sorted(FORMATS.values(), key=lambda n: n != FORMATS[fmt])
        )
        own.validate(receipt)  # the component `format` names takes it, and only that one
        assert not other.is_valid(receipt)
