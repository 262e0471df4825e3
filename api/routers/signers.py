"""An issuer's signing keys: listed from the registry, and changed by its root key's relayed
signature (`notary.pipeline.signer_changes`), so an agency needs no gas."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from starlette.responses import JSONResponse

from api.auth import Principal
from api.bodies import json_model
from api.deps import PrincipalDep, PublicLimit, ServiceDep
from api.openapi import body
from api.problems import Problem
from api.schemas.common import ADDRESS, ADDRESS_FORMAT, ADDRESS_TEXT, problems
from api.schemas.signers import (
    SignerAddition,
    SignerChangeOut,
    SignerOut,
    SignerRemoval,
    SignersOut,
)
from api.state import ServiceState
from api.views import dump
from notary.chain.registry import SignerRecord
from notary.core.types import Address, to_checksum_address
from notary.pipeline.signer_changes import (
    ADD,
    REMOVE,
    ChangePending,
    PendingChange,
    change_request,
    check_action,
    check_against_chain,
    check_change,
    pending_changes,
    request_change,
)
from notary.pipeline.submissions import parse_signature, registry_domain
from notary.store.errors import UnknownIssuer
from notary.store.issuers import get_issuer

router = APIRouter(tags=["issuers"])
_ADDRESS: dict[str, Any] = {"pattern": ADDRESS, "json_schema_extra": {"format": ADDRESS_FORMAT}}
AddressPath = Annotated[str, Path(description="the issuer's address: " + ADDRESS_TEXT, **_ADDRESS)]
KeyPath = Annotated[str, Path(description="the signing key's address: " + ADDRESS_TEXT, **_ADDRESS)]
KeyQuery = Annotated[
    str, Query(description="the signing key's address: " + ADDRESS_TEXT, **_ADDRESS)
]


@router.get(
    "/issuers/{address}/signers",
    response_model=SignersOut,
    summary="An issuer's signing keys, and changes still on their way (public)",
    dependencies=[PublicLimit],
    responses=problems(404, 422, 429, 503),
)
def list_signers(address: AddressPath, service: ServiceDep) -> SignersOut:
    """Every key the issuer ever authorised on the registry (`signersOf`), with when it was
    added and removed, and the changes this service relays for it that are not final yet
    (a failed one while the key is not as it asked)."""
    issuer = _known(service, address)
    records = service.registry.signers_of(issuer)
    by_key = {r.key: r for r in records}
    pending = [
        p for p in pending_changes(service.store, issuer) if _still_open(p, by_key.get(p.key))
    ]
    return SignersOut(
        issuer=issuer,
        signingSince=min((r.added_block for r in records), default=None),
        keys=[_signer_out(r) for r in records],
        pending=[_change_out(p) for p in pending],
    )


@router.get(
    "/issuers/{address}/signers/request",
    summary="The EIP-712 AddSigner or RemoveSigner the issuer's root key signs",
    responses=problems(401, 403, 404, 422, 429, 503),
)
def signer_change_request(
    address: AddressPath,
    service: ServiceDep,
    principal: PrincipalDep,
    key: KeyQuery,
    action: Annotated[str, Query(pattern="^(add|remove)$", description="add or remove")],
) -> dict[str, Any]:
    """The typed data to sign with the issuer's root key (`eth_signTypedData_v4`, viem,
    eth-account): this key, a fresh nonce (decimal text) and a deadline a day ahead; send
    the signature with the same `nonce` and `deadline` to POST …/signers (add) or
    POST …/signers/{key}/remove."""
    issuer = _yours(service, principal, address)
    domain = registry_domain(service.chain_id(), service.registry.address)
    return change_request(domain, issuer, to_checksum_address(key, "key"), check_action(action))


@router.post(
    "/issuers/{address}/signers",
    status_code=202,
    response_model=SignerChangeOut,
    summary="Authorise a signing key, relayed: the root key signs, the service pays",
    responses={
        200: {"model": SignerChangeOut, "description": "The same change was queued before"},
        **problems(400, 401, 403, 404, 409, 413, 415, 422, 429, 503),
    },
    openapi_extra=body(SignerAddition),
)
def add_signer(
    address: AddressPath,
    request: Annotated[SignerAddition, Depends(json_model(SignerAddition))],
    service: ServiceDep,
    principal: PrincipalDep,
) -> JSONResponse:
    """Queue `addSignerBySig` of `key` with the issuer's root-key signature: checked here as
    the registry checks it (422 naming `signature`, `nonce`, `deadline` or `key`), then
    sent by the worker through the durable queue; the key signs from the block that adds
    it. GET …/signers shows it pending until then."""
    return _relay(service, principal, address, request.key, ADD, request)


@router.post(
    "/issuers/{address}/signers/{key}/remove",
    status_code=202,
    response_model=SignerChangeOut,
    summary="Remove a signing key, relayed: the root key signs, the service pays",
    responses={
        200: {"model": SignerChangeOut, "description": "The same change was queued before"},
        **problems(400, 401, 403, 404, 409, 413, 415, 422, 429, 503),
    },
    openapi_extra=body(SignerRemoval),
)
def remove_signer(
    address: AddressPath,
    key: KeyPath,
    request: Annotated[SignerRemoval, Depends(json_model(SignerRemoval))],
    service: ServiceDep,
    principal: PrincipalDep,
) -> JSONResponse:
    """Queue `removeSignerBySig` of `key` with the issuer's root-key signature (checked
    here, 422 naming the field): documents anchored from the block that removes it no
    longer count as signed by it; older ones still do."""
    return _relay(service, principal, address, key, REMOVE, request)


def _relay(
    service: ServiceState,
    principal: Principal,
    address: str,
    key: str,
    action: str,
    request: SignerRemoval,
) -> JSONResponse:
    issuer = _yours(service, principal, address)
    domain = registry_domain(service.chain_id(), service.registry.address)
    change = check_change(
        domain,
        issuer,
        to_checksum_address(key, "key"),
        action,
        request.nonce,
        request.deadline,
        parse_signature(request.signature),
    )
    check_against_chain(service.registry, change)
    try:
        pending = request_change(service.store, change, principal.subject)
    except ChangePending as exc:
        raise Problem(409, "conflict", str(exc), field="key") from None
    return JSONResponse(dump(_change_out(pending)), 202 if pending.created else 200)


def _known(service: ServiceState, address: str) -> Address:
    """The issuer registered here at `address` (404 otherwise)."""
    issuer = to_checksum_address(address, "address")
    with service.store.read() as conn:
        if get_issuer(conn, issuer) is None:
            raise UnknownIssuer(issuer)
    return issuer


def _yours(service: ServiceState, principal: Principal, address: str) -> Address:
    """The issuer, if the caller is it (its API key) or the admin; 404 otherwise."""
    issuer = _known(service, address)
    if not principal.may_see(issuer):
        raise UnknownIssuer(issuer)  # another issuer's keys are not this key's business
    return issuer


def _still_open(change: PendingChange, record: SignerRecord | None) -> bool:
    """A change not final, or a failed one whose key is not yet as it asked."""
    if change.state != "failed":
        return True
    done = record is not None and (
        bool(record.added_block) if change.action == ADD else bool(record.removed_block)
    )
    return not done


def _signer_out(record: SignerRecord) -> SignerOut:
    return SignerOut(
        key=record.key,
        status="active" if record.active else "removed",
        addedAt=record.added_at,
        addedBlock=record.added_block,
        removedAt=record.removed_at or None,
        removedBlock=record.removed_block or None,
    )


def _change_out(change: PendingChange) -> SignerChangeOut:
    return SignerChangeOut(
        id=change.id,
        action=change.action,  # type: ignore[arg-type]
        key=change.key,
        state=change.state,  # type: ignore[arg-type]
        requestedAt=change.requested_at,
        error=change.error,
    )
