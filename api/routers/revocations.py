"""`POST /v1/documents/{leaf}/revoke`: revoking a document (on chain through the pipeline);
`GET /v1/documents/{leaf}/revocation-request`: what an issuer that signs signs to revoke it."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from starlette.responses import JSONResponse

from api.bodies import json_model
from api.deps import PrincipalDep, ServiceDep
from api.openapi import body
from api.routers.document_reads import LeafPath
from api.schemas.common import problems
from api.schemas.documents import REASON_PATTERN, RevocationOut, RevocationRequest
from api.state import ServiceState
from api.views import dump, parse_leaf
from notary.core.errors import FormatError
from notary.core.reasons import reason_code
from notary.core.types import Leaf
from notary.pipeline.receipts import load_document
from notary.pipeline.revocations import (
    RevocationRecord,
    SignedRevocation,
    check_reason,
    check_revocation,
    request_revocation,
    revocation_of,
    revocation_request,
)
from notary.pipeline.submissions import (
    SignatureRefused,
    UnknownSigner,
    parse_signature,
    registry_domain,
)
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

    Only the issuer that notarised the document, or the admin, may revoke it. For an issuer
    that signs, the request carries the issuer's own EIP-712 `Revocation` signature with
    its `nonce` and `deadline` (422 naming `signature` without it), which the service
    relays as `revokeBySig`: neither the admin nor the service can revoke its documents.
    """
    target = parse_leaf(leaf)
    doc = load_document(service.store, target)
    if not principal.may_see(doc.record.issuer):
        raise DocumentNotFound(target.hex)
    check_reason(request.reason)  # a bad request is refused whatever was requested before
    existing = revocation_of(service.store, target)
    if existing is not None:
        return _answer(existing)
    signed = _signed(service, doc.record.issuer, target, request)
    record = request_revocation(
        service.store,
        doc.record.issuer,
        target,
        request.reason,
        request.note,
        principal.subject,
        signed=signed,
    )
    return _answer(record)


def _signed(
    service: ServiceState, issuer: str, leaf: Leaf, request: RevocationRequest
) -> SignedRevocation | None:
    """The issuer's checked signature when it signs; None for an issuer that does not."""
    given = request.signature is not None
    keys = service.signers.for_submission(issuer, given)
    if not keys.signing:
        if given:
            raise SignatureRefused(
                "signature",
                f"issuer {issuer} has no signing key on the blockchain: revoke without a "
                "signature (the service revokes for it)",
            )
        return None
    if not given:
        raise SignatureRefused(
            "signature",
            f"issuer {issuer} signs its documents, and so its revocations: sign the EIP-712 "
            f"Revocation that GET /v1/documents/{leaf.hex}/revocation-request gives, and send "
            "its signature, nonce and deadline (notary revoke --signer KEYSTORE does it)",
        )
    for name in ("nonce", "deadline"):
        if getattr(request, name) is None:
            raise FormatError(name, "a signed revocation gives the nonce and deadline signed")
    assert request.nonce is not None and request.deadline is not None
    domain = registry_domain(service.chain_id(), service.registry.address)
    args = (leaf, request.reason, parse_signature(request.signature), request.nonce)
    try:
        signed = check_revocation(domain, keys, *args, request.deadline)
    except UnknownSigner:
        newer = service.signers.newer(issuer)  # a key added a moment ago counts at once
        if newer is None:
            raise
        signed = check_revocation(domain, newer, *args, request.deadline)
    # NoncesKeyed answers a sequence's next nonce whole: sequence << 64 | number.
    if service.registry.nonce(issuer, signed.nonce >> 64) != signed.nonce:
        raise SignatureRefused(
            "nonce",
            "not the issuer's next nonce in its sequence (used already, or ahead): sign a "
            "fresh one, e.g. from GET …/revocation-request",
        )
    return signed


def _answer(record: RevocationRecord) -> JSONResponse:
    out = RevocationOut(
        leaf=record.leaf.hex,
        state=record.state,  # type: ignore[arg-type]
        reason=record.reason,
        note=record.note,
        requestedAt=record.requested_at,
        created=record.created,
    )
    return JSONResponse(dump(out), 202 if record.created else 200)


@router.get(
    "/documents/{leaf}/revocation-request",
    summary="The EIP-712 Revocation an issuer that signs signs to revoke this document",
    responses=problems(400, 401, 404, 422, 429, 503),
)
def revocation_typed_data(
    leaf: LeafPath,
    service: ServiceDep,
    principal: PrincipalDep,
    reason: Annotated[
        str, Query(pattern=REASON_PATTERN, description="a reason's name or code, as for /revoke")
    ],
) -> dict[str, Any]:
    """The typed data to sign with `eth_signTypedData_v4` (or viem, eth-account): this leaf,
    the reason's code, a fresh nonce (decimal text) and a deadline a week ahead; send the
    signature with the same `reason`, `nonce` and `deadline` to /revoke."""
    target = parse_leaf(leaf)
    doc = load_document(service.store, target)
    if not principal.may_see(doc.record.issuer):
        raise DocumentNotFound(target.hex)
    code = reason_code(int(reason) if reason.strip().isdigit() else reason.strip(), "reason")
    domain = registry_domain(service.chain_id(), service.registry.address)
    return revocation_request(domain, doc.record.issuer, target, code)
