"""`POST /v1/documents/{leaf}/revoke`: revoking a document (on chain through the pipeline)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from starlette.responses import JSONResponse

from api.bodies import json_model
from api.deps import PrincipalDep, ServiceDep
from api.openapi import body
from api.routers.document_reads import LeafPath
from api.schemas.common import problems
from api.schemas.documents import RevocationOut, RevocationRequest
from api.views import dump, parse_leaf
from notary.pipeline.receipts import load_document
from notary.pipeline.revocations import request_revocation
from notary.store.errors import DocumentNotFound

router = APIRouter(tags=["documents"])


@router.post(
    "/documents/{leaf}/revoke",
    status_code=202,
    response_model=RevocationOut,
    response_model_exclude_none=True,
    summary="Revoke a document",
    responses={
        200: {"model": RevocationOut, "description": "It had been revoked before"},
        **problems(400, 401, 404, 413, 415, 422, 429, 503),
    },
    openapi_extra=body(RevocationRequest),
)
def revoke(
    leaf: LeafPath,
    request: Annotated[RevocationRequest, Depends(json_model(RevocationRequest))],
    service: ServiceDep,
    principal: PrincipalDep,
) -> JSONResponse:
    """Request revocation; the worker revokes it on chain.

    `reason` is a name or its code: 1 `issued-in-error`, 2 `superseded`, 3 `withdrawn`,
    4 `suspended`, 5 `expired`, 6 `fraud` (other codes up to 255 are valid on chain). The
    code goes on chain; the optional `note` stays with the service.

    Only the issuer that notarised the document, or the admin, may revoke it.
    """
    target = parse_leaf(leaf)
    doc = load_document(service.store, target)
    if not principal.may_see(doc.record.issuer):
        raise DocumentNotFound(target.hex)
    record = request_revocation(
        service.store, doc.record.issuer, target, request.reason, request.note, principal.subject
    )
    out = RevocationOut(
        leaf=record.leaf.hex,
        state=record.state,  # type: ignore[arg-type]
        reason=record.reason,
        note=record.note,
        requestedAt=record.requested_at,
        created=record.created,
    )
    return JSONResponse(dump(out), 202 if record.created else 200)
