"""`GET /v1/service`: the receipt-signing public keys, and the receipt JSON Schema."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from api.deps import PublicLimit, ServiceDep
from api.schemas.common import problems, receipt_json_schema
from api.schemas.service import PublicKeyOut, ServiceOut
from notary.core.receipts import FORMAT

router = APIRouter(tags=["service"])
SCHEMA_PATH = "/v1/service/receipt-schema.json"


@router.get(
    "/service",
    response_model=ServiceOut,
    summary="Receipt-signing keys (public)",
    dependencies=[PublicLimit],
    responses=problems(429),
)
def service_info(service: ServiceDep) -> ServiceOut:
    """The service id and every public key its receipts are (or were) signed with."""
    return ServiceOut(
        id=service.settings.service_id,
        receiptFormat=FORMAT,
        receiptSchema=service.url(SCHEMA_PATH),
        keys=[
            PublicKeyOut(
                keyId=k.key_id,
                publicKey=k.public_hex,
                publicKeyPem=k.public_pem,
                validFrom=k.valid_from,
                validUntil=k.valid_until,
            )
            for k in service.keys
        ],
    )


@router.get(
    "/service/receipt-schema.json",
    summary="The receipt JSON Schema (public)",
    dependencies=[PublicLimit],
    responses=problems(429),
)
def receipt_schema() -> dict[str, Any]:
    """JSON Schema of a receipt: one of `notary-receipt-v1` and `-v2` (definitions inlined)."""
    return receipt_json_schema()
