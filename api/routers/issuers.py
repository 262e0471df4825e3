"""Issuers: public list; registration, deactivation and API keys with the admin key."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path
from sqlalchemy import Connection
from starlette.responses import JSONResponse

from api.bodies import json_model
from api.deps import AdminDep, PublicLimit, ServiceDep
from api.openapi import body
from api.problems import Problem
from api.routers import signers
from api.schemas.common import ADDRESS, ADDRESS_FORMAT, ADDRESS_TEXT, EXAMPLE_ADDRESS, problems
from api.schemas.issuers import (
    ApiKeyList,
    ApiKeyOut,
    IssuerCreate,
    IssuerList,
    IssuerOut,
    NewApiKeyOut,
)
from api.views import dump
from notary.core.types import to_checksum_address
from notary.pipeline.issuers import deactivate_issuer, register_issuer, retry_registration
from notary.store.errors import UnknownIssuer
from notary.store.issuers import (
    all_issuers,
    api_key_of,
    api_keys_of,
    audit,
    create_api_key,
    get_issuer,
    revoke_api_key,
)
from notary.store.key_notices import notify_revoked
from notary.store.models import Issuer

router = APIRouter(tags=["issuers"])
AddressPath = Annotated[
    str,
    Path(
        pattern=ADDRESS,
        description="the issuer's address: " + ADDRESS_TEXT,
        examples=[EXAMPLE_ADDRESS],
        json_schema_extra={"format": ADDRESS_FORMAT},
    ),
]


def issuer_out(issuer: Any) -> IssuerOut:
    """An issuer row (model or mapping) as the API shows it."""
    get = issuer.__getitem__ if isinstance(issuer, dict) else issuer.__getattribute__
    return IssuerOut(
        address=get("address"),
        name=get("name"),
        jurisdiction=get("jurisdiction"),
        status="active" if get("active") else "deactivated",
        onchain=get("onchain_state"),
        onchainError=get("onchain_error"),
        createdAt=get("created_at"),
        deactivatedAt=get("deactivated_at"),
    )


@router.get(
    "/issuers",
    response_model=IssuerList,
    summary="Every issuer (public)",
    dependencies=[PublicLimit],
    responses=problems(429, 503),
)
def list_issuers(service: ServiceDep) -> IssuerList:
    """Names, addresses and status of every issuer registered here."""
    with service.store.read() as conn:
        rows = all_issuers(conn)
    return IssuerList(issuers=[issuer_out(dict(r)) for r in rows])


@router.get(
    "/issuers/{address}",
    response_model=IssuerOut,
    summary="One issuer (public)",
    dependencies=[PublicLimit],
    responses=problems(404, 422, 429, 503),
)
def get_one(address: AddressPath, service: ServiceDep) -> IssuerOut:
    """One issuer by address."""
    checked = to_checksum_address(address, "address")
    with service.store.read() as conn:
        issuer = _registered(conn, checked)
    return issuer_out(issuer)


@router.post(
    "/issuers",
    status_code=201,
    response_model=IssuerOut,
    summary="Register an issuer (admin)",
    responses=problems(400, 401, 403, 409, 413, 415, 422, 429, 503),
    openapi_extra=body(IssuerCreate),
)
def create(
    request: Annotated[IssuerCreate, Depends(json_model(IssuerCreate))],
    service: ServiceDep,
    admin: AdminDep,
) -> IssuerOut:
    """Register an issuer here at once and on chain through the worker."""
    issuer = register_issuer(
        service.store, request.address, request.name, request.jurisdiction, admin.subject
    )
    return issuer_out(issuer)


@router.post(
    "/issuers/{address}/register",
    response_model=IssuerOut,
    summary="Retry a failed on-chain registration (admin)",
    responses=problems(401, 403, 404, 409, 422, 429, 503),
)
def retry(address: AddressPath, service: ServiceDep, admin: AdminDep) -> IssuerOut:
    """Queue the registration again once its cause is fixed (e.g. the service's account
    was granted REGISTRAR_ROLE); 409 unless it failed. Documents anchored while it had
    failed stay invalid: notarise them again after it is registered."""
    checked = to_checksum_address(address, "address")
    retry_registration(service.store, checked, admin.subject)
    with service.store.read() as conn:
        issuer = _registered(conn, checked)
    return issuer_out(issuer)


@router.post(
    "/issuers/{address}/deactivate",
    response_model=IssuerOut,
    summary="Deactivate an issuer (admin)",
    responses=problems(401, 403, 404, 422, 429, 503),
)
def deactivate(address: AddressPath, service: ServiceDep, admin: AdminDep) -> IssuerOut:
    """Stop an issuer notarising; its earlier documents stay valid. Final, also on chain."""
    checked = to_checksum_address(address, "address")
    deactivate_issuer(service.store, checked, admin.subject)
    service.auth_cache.clear()
    with service.store.read() as conn:
        issuer = _registered(conn, checked)
    return issuer_out(issuer)


@router.post(
    "/issuers/{address}/keys",
    status_code=201,
    response_model=NewApiKeyOut,
    summary="Create an API key for an issuer (admin)",
    responses=problems(401, 403, 404, 422, 429, 503),
)
def create_key(address: AddressPath, service: ServiceDep, admin: AdminDep) -> NewApiKeyOut:
    """A new key for the issuer; the secret is in this response only (store it now)."""
    checked = to_checksum_address(address, "address")
    with service.store.write() as conn:
        issuer = _registered(conn, checked, active=True)
        key = create_api_key(conn, issuer.id)
        audit(conn, admin.subject, "create_api_key", checked, {"key_id": key.id})
        created = api_key_of(conn, issuer.id, key.id)
    assert created is not None  # made in this transaction
    return NewApiKeyOut(
        id=key.id,
        prefix=key.prefix,
        createdAt=created["created_at"],
        revokedAt=None,
        key=key.secret,
    )


@router.get(
    "/issuers/{address}/keys",
    response_model=ApiKeyList,
    summary="An issuer's API keys (admin)",
    responses=problems(401, 403, 404, 422, 429, 503),
)
def list_keys(address: AddressPath, service: ServiceDep, admin: AdminDep) -> ApiKeyList:
    """Ids, prefixes and dates of the issuer's keys, never the secrets."""
    checked = to_checksum_address(address, "address")
    with service.store.read() as conn:
        issuer = _registered(conn, checked)
        rows = api_keys_of(conn, issuer.id)
    keys = [
        ApiKeyOut(
            id=r["id"], prefix=r["prefix"], createdAt=r["created_at"], revokedAt=r["revoked_at"]
        )
        for r in rows
    ]
    return ApiKeyList(keys=keys)


@router.delete(
    "/issuers/{address}/keys/{key_id}",
    response_model=ApiKeyOut,
    summary="Revoke an API key (admin)",
    responses=problems(401, 403, 404, 422, 429, 503),
)
def revoke_key(
    address: AddressPath,
    key_id: Annotated[int, Path(ge=1, le=2**63 - 1)],
    service: ServiceDep,
    admin: AdminDep,
) -> JSONResponse:
    """Revoke one of the issuer's keys at once; revoking it again changes nothing."""
    checked = to_checksum_address(address, "address")
    with service.store.write() as conn:
        issuer = _registered(conn, checked)
        row = api_key_of(conn, issuer.id, key_id)
        if row is None:
            raise Problem(404, "not-found", f"issuer {checked} has no key {key_id}", field="key_id")
        if revoke_api_key(conn, key_id):
            audit(conn, admin.subject, "revoke_api_key", checked, {"key_id": key_id})
            notify_revoked(conn)  # API processes on other machines, when this commits
        revoked = api_key_of(conn, issuer.id, key_id)
        assert revoked is not None  # read in this transaction
    # After the commit, before answering: every process of this machine refuses the key
    # from now on (cleared before the commit, a concurrent request could cache it again).
    service.auth_cache.revoked()
    out = ApiKeyOut(
        id=key_id,
        prefix=row["prefix"],
        createdAt=row["created_at"],
        revokedAt=revoked["revoked_at"],
    )
    return JSONResponse(dump(out))


def _registered(conn: Connection, address: str, *, active: bool = False) -> Issuer:
    """The registered issuer (and active, if asked), else UnknownIssuer (a 404)."""
    issuer = get_issuer(conn, address)
    if issuer is None:
        raise UnknownIssuer(address)
    if active and not issuer.active:
        raise UnknownIssuer(address, deactivated=True)
    return issuer


router.include_router(signers.router)  # an issuer's signing keys, under /issuers/{address}
