"""Typed dependencies for route handlers: the service, the caller and its permissions.

All `async`: FastAPI runs a plain `def` dependency in a worker thread, a hop that costs
more than these few lines (the key lookup on a cache miss goes to a thread itself).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from api.auth import Principal, authenticate, client_address
from api.limits import retry_after
from api.problems import Problem
from api.state import ServiceState


async def get_service(request: Request) -> ServiceState:
    """The service state set up by the app's lifespan."""
    service: ServiceState = request.state.service
    return service


ServiceDep = Annotated[ServiceState, Depends(get_service)]


async def get_principal(request: Request, service: ServiceDep) -> Principal:
    """Any authenticated caller."""
    return await authenticate(service, request)


PrincipalDep = Annotated[Principal, Depends(get_principal)]


async def get_admin(principal: PrincipalDep) -> Principal:
    """The admin only; 403 for issuer keys."""
    if not principal.is_admin:
        raise Problem(403, "forbidden", "this needs the admin key")
    return principal


AdminDep = Annotated[Principal, Depends(get_admin)]


async def get_issuer(principal: PrincipalDep) -> Principal:
    """An issuer's key; the admin notarises nothing under its own name."""
    if principal.is_admin:
        raise Problem(403, "forbidden", "notarise with the issuer's own API key, not the admin key")
    return principal


IssuerDep = Annotated[Principal, Depends(get_issuer)]


async def public_limit(request: Request, service: ServiceDep) -> None:
    """Rate limit unauthenticated calls per client address."""
    wait = service.public_limiter.take("ip:" + client_address(request))
    if wait:
        raise Problem(
            429,
            "rate-limited",
            "too many requests from this address",
            headers={"Retry-After": retry_after(wait)},
        )


PublicLimit = Depends(public_limit)
