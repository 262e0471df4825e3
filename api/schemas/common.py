"""Schemas shared by every router: problems, hex values, the receipt, links.

Responses follow one rule: a required field is always sent, null while its value is not
known yet (a batch's `anchoredAt`, an issuer's `deactivatedAt`); an optional field is left
out while it does not apply (a document's `anchor` before its batch is mined).
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, WithJsonSchema
from pydantic_core import PydanticCustomError

from api.openapi import component, register, register_schema
from notary.core.metadata import UNSAFE_TEXT, unsafe_character

HEX32 = r"^0x[0-9a-fA-F]{64}$"
DIGEST_INPUT = r"^(0x|sha256:)?[0-9a-fA-F]{64}$"
"""A SHA-256 digest as clients may write it (`Digest.parse`, which also trims whitespace)."""
ADDRESS = r"^0x[0-9a-fA-F]{40}$"
EXAMPLE_LEAF = "0x6f1ed002ab5595859014ebf0951522d9b0a16d8d6d1a6d4b2e8e3c1e1c7a2b3c"
EXAMPLE_DIGEST = "0x9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
EXAMPLE_ADDRESS = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"
"""EIP-55's own first example: mixed case, and the case is a correct checksum."""
ADDRESS_FORMAT = "eip55-address"
"""A `format` of our own: JSON Schema cannot hash, so the checksum rule is named, not expressed."""
ADDRESS_TEXT = (
    "0x and 40 hex digits: all lower-case, all upper-case, or mixed case with a correct "
    "EIP-55 checksum (mixed case with a wrong checksum is refused as mistyped); answers "
    "always give the EIP-55 form"
)

Hex32 = Annotated[str, Field(pattern=HEX32, examples=[EXAMPLE_LEAF])]
AddressStr = Annotated[
    str,
    Field(
        pattern=ADDRESS,
        description=ADDRESS_TEXT,
        examples=[EXAMPLE_ADDRESS],
        json_schema_extra={"format": ADDRESS_FORMAT},
    ),
]


def _display_text(value: str) -> str:
    char = unsafe_character(value)
    if char is not None:
        raise PydanticCustomError(
            "display_text",
            "control or bidirectional character U+{code} is not allowed",
            {"code": f"{ord(char):04X}"},
        )
    return value


DisplayText = Annotated[
    str,
    AfterValidator(_display_text),
    Field(json_schema_extra={"pattern": f"^[^{UNSAFE_TEXT}]*$"}),
]
"""Text shown to people as one line (a jurisdiction): no control or bidirectional
characters (`notary.core.metadata.UNSAFE_TEXT`, the rule metadata field names follow)."""
DisplayName = Annotated[
    DisplayText,
    Field(
        json_schema_extra={"pattern": f"^[^{UNSAFE_TEXT}]*[^\\s{UNSAFE_TEXT}][^{UNSAFE_TEXT}]*$"}
    ),
]
"""DisplayText that is not blank (an issuer's name; runs of spaces are kept as one)."""


class ProblemOut(BaseModel):
    """An RFC 9457 problem document."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "type": "urn:notary:problem:invalid-field",
                    "title": "A field has an invalid value",
                    "status": 422,
                    "detail": "expected 64 hex digits (32 bytes), got 6",
                    "field": "digest",
                    "instance": "/v1/documents",
                }
            ]
        }
    )

    type: str = Field(description="stable URI naming the kind of problem")
    title: str
    status: int
    detail: str
    field: str | None = Field(default=None, description="the offending field, e.g. metadata.x")
    instance: str | None = None
    errors: list[dict[str, str]] | None = Field(default=None, description="every invalid field")


def problems(*codes: int) -> dict[int | str, dict[str, Any]]:
    """The `responses=` entry documenting these error statuses as problem+json."""
    described = {
        400: "Malformed request body",
        401: "Missing or unknown API key",
        403: "The key may not do this",
        404: "Not found",
        409: "Conflict with the current state",
        413: "Body larger than the limit",
        415: "Unsupported content type",
        422: "A field is invalid (the problem names it)",
        429: "Rate limit exceeded (see Retry-After)",
        503: "The chain or the database could not be reached (see Retry-After)",
    }
    ref = register(ProblemOut)
    return {
        code: {
            "description": described.get(code, "Error"),
            "content": {"application/problem+json": {"schema": ref}},
        }
        for code in codes
    }


RECEIPT_SCHEMAS = ("schemas/receipt-v1.json", "schemas/receipt-v2.json")
"""Every receipt format the service issues and every verifier reads (notary/schemas/)."""


@cache
def receipt_json_schema() -> dict[str, Any]:
    """The published receipt JSON Schema: one of the receipt formats (v1, or v2 with the
    issuer's signature), each with its $defs inlined (OpenAPI resolves refs globally)."""
    formats = [_inlined(name) for name in RECEIPT_SCHEMAS]
    return {
        "title": "notary receipt",
        "description": "A receipt: notary-receipt-v1 (the service vouches for its issuer), "
        "or notary-receipt-v2 (v1 plus the issuer's own EIP-712 signature, issuerSignature); "
        "`format` says which.",
        "oneOf": formats,
    }


def _inlined(name: str) -> dict[str, Any]:
    """A receipt schema of notary/schemas/ without $schema, $id and $defs (refs inlined)."""
    schema = json.loads(resources.files("notary").joinpath(name).read_text("utf-8"))
    defs = schema.pop("$defs", {})
    schema.pop("$schema", None)
    schema.pop("$id", None)

    def inline(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                rest = {k: inline(v) for k, v in node.items() if k != "$ref"}
                return {**inline(defs[ref.removeprefix("#/$defs/")]), **rest}
            return {k: inline(v) for k, v in node.items()}
        if isinstance(node, list):
            return [inline(v) for v in node]
        return node

    result: dict[str, Any] = inline(schema)
    return result


def receipt_openapi_schema() -> dict[str, Any]:
    """The receipt in the OpenAPI document: one of the formats' schemas as published in
    notary/schemas/ (each a component: ReceiptV1, ReceiptV2), discriminated by `format`."""
    refs = {}
    for name in RECEIPT_SCHEMAS:
        schema = _inlined(name)
        fmt = schema["properties"]["format"]["const"]  # notary-receipt-v1, -v2
        refs[fmt] = register_schema("Receipt" + fmt.removeprefix("notary-receipt-").upper(), schema)
    published = receipt_json_schema()
    return component(
        "Receipt",
        {
            "title": published["title"],
            "description": published["description"],
            "oneOf": list(refs.values()),
            "discriminator": {
                "propertyName": "format",
                "mapping": {fmt: ref["$ref"] for fmt, ref in refs.items()},
            },
        },
    )


ReceiptJson = Annotated[dict[str, Any], WithJsonSchema(receipt_openapi_schema())]


class Links(BaseModel):
    """Where to fetch more about a document."""

    self: str = Field(description="the document's status")
    receipt: str
    verify: str = Field(
        description="the verification page: /v/<leaf> (the QR target; /verify?leaf= answers too)"
    )
    qrSvg: str
    qrPng: str
