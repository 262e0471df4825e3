"""Reading a document: status, receipt download and QR codes (the issuer's own, or admin)."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Path, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import JSONResponse, Response

from api import qr
from api.auth import Principal
from api.deps import PrincipalDep, ServiceDep
from api.openapi import body
from api.problems import Problem
from api.schemas.common import HEX32, ReceiptJson, problems
from api.schemas.documents import DocumentOut
from api.state import ServiceState
from api.uploads import JSON_TYPE, media_type, read_body, unsupported
from api.views import document_out, dump, links, parse_leaf, parse_object, validate
from notary.core.types import Leaf
from notary.pipeline.receipts import StoredDocument, load_document, load_many, receipt_of
from notary.store.errors import DocumentNotFound

router = APIRouter(tags=["documents"])
LeafPath = Annotated[str, Path(pattern=HEX32, description="the document's leaf (0x + 64 hex)")]
QR_SCALE_SVG = 4
QR_SCALE_PNG = 8


def own_document(service: ServiceState, principal: Principal, leaf: str) -> StoredDocument:
    """The document, if this caller may see it; 404 alike for absent and not yours."""
    doc = load_document(service.store, parse_leaf(leaf))
    if not principal.may_see(doc.record.issuer):
        raise DocumentNotFound(doc.record.leaf.hex)
    return doc


@router.get(
    "/documents/{leaf}",
    response_model=DocumentOut,
    response_model_exclude_none=True,
    summary="A document's status",
    responses=problems(401, 404, 422, 429, 503),
)
def document_status(leaf: LeafPath, service: ServiceDep, principal: PrincipalDep) -> JSONResponse:
    """Status, batch, anchor and revocation of one of the caller's documents."""
    doc = own_document(service, principal, leaf)
    return JSONResponse(dump(document_out(service, doc, None)))


@router.get(
    "/documents/{leaf}/receipt",
    summary="Download the receipt",
    response_model=ReceiptJson,
    responses={
        200: {
            "description": "The signed receipt (pending or anchored), as a file download",
            "headers": {"Content-Disposition": {"schema": {"type": "string"}}},
        },
        **problems(401, 404, 422, 429, 503),
    },
)
def document_receipt(leaf: LeafPath, service: ServiceDep, principal: PrincipalDep) -> Response:
    """The pending or anchored receipt, named `<leaf prefix>.receipt.json`."""
    doc = own_document(service, principal, leaf)
    receipt = receipt_of(doc, service.receipt_context())
    name = f"{doc.record.leaf.hex[2:18]}.receipt.json"
    return Response(
        receipt.to_json().encode("utf-8"),
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


MAX_RECEIPTS = 10_000
"""Most receipts one `documents:receipts` request returns (a bulk submission's size)."""


class ReceiptsRequest(BaseModel):
    """The leaves whose receipts to return."""

    model_config = ConfigDict(extra="forbid")

    leaves: list[Annotated[str, Field(pattern=HEX32)]] = Field(
        min_length=1, max_length=MAX_RECEIPTS
    )


class ReceiptsOut(BaseModel):
    """Each leaf's signed receipt (pending or anchored), in the order asked."""

    receipts: list[ReceiptJson]


@router.post(
    "/documents:receipts",
    summary=f"Receipts of up to {MAX_RECEIPTS:,} documents at once",
    response_model=ReceiptsOut,
    responses=problems(400, 401, 404, 413, 415, 422, 429, 503),
    openapi_extra=body(ReceiptsRequest),
)
async def document_receipts(
    request: Request, service: ServiceDep, principal: PrincipalDep
) -> Response:
    """The caller's receipts for many leaves in one request (what `notary stamp` writes
    beside each file); 404 naming `leaves[i]` when one is absent or not the caller's."""
    if media_type(request) != JSON_TYPE:
        raise unsupported(JSON_TYPE)
    raw = await read_body(request, MAX_RECEIPTS * 80 + 1024)
    asked = validate(ReceiptsRequest, parse_object(raw, "$"))
    leaves = [parse_leaf(leaf) for leaf in asked.leaves]
    texts = await service.blocking(_receipts_json, service, principal, leaves)
    return Response(b'{"receipts":[' + b",".join(texts) + b"]}", media_type=JSON_TYPE)


def _receipts_json(service: ServiceState, principal: Principal, leaves: list[Leaf]) -> list[bytes]:
    ctx = service.receipt_context()
    out = []
    for i, doc in enumerate(load_many(service.store, leaves)):
        if doc is None or not principal.may_see(doc.record.issuer):
            raise Problem(
                404,
                "document-not-found",
                f"no document {leaves[i].hex} of yours",
                field=f"leaves[{i}]",
            )
        out.append(json.dumps(receipt_of(doc, ctx).to_dict(), ensure_ascii=False).encode())
    return out


_QR_RESPONSES = problems(401, 404, 422, 429, 503)


@router.get(
    "/documents/{leaf}/qr.svg",
    summary="QR code of the verification URL, the URL printed under it (SVG)",
    response_class=Response,
    responses={
        200: {"content": {"image/svg+xml": {"schema": {"type": "string"}}}},
        **_QR_RESPONSES,
    },
)
def document_qr_svg(leaf: LeafPath, service: ServiceDep, principal: PrincipalDep) -> Response:
    """An SVG QR code of the document's verification URL, with that URL in words under it."""
    url = _verify_url(service, principal, leaf)
    return Response(qr.svg_with_url(url, QR_SCALE_SVG), media_type="image/svg+xml")


@router.get(
    "/documents/{leaf}/qr.png",
    summary="QR code of the verification URL (PNG)",
    response_class=Response,
    responses={
        200: {"content": {"image/png": {"schema": {"type": "string", "format": "binary"}}}},
        **_QR_RESPONSES,
    },
)
def document_qr_png(leaf: LeafPath, service: ServiceDep, principal: PrincipalDep) -> Response:
    """A PNG QR code of the document's verification URL (the code alone)."""
    url = _verify_url(service, principal, leaf)
    return Response(qr.png(url, QR_SCALE_PNG), media_type="image/png")


def _verify_url(service: ServiceState, principal: Principal, leaf: str) -> str:
    return links(service, own_document(service, principal, leaf).record.leaf).verify
