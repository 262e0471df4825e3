"""Who is calling: `Authorization: Bearer <api key>` → the admin or one issuer.

The admin key (NOTARY_ADMIN_KEY) is compared in constant time (SHA-256 of both sides,
then `hmac.compare_digest`, so not even the length leaks). Issuer keys are stored as
SHA-256 only and found by that hash: a 256-bit random key makes the lookup itself safe.
Keys found are remembered for a few seconds (`api.key_cache`, which also says how a
revocation ends that at once).
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from starlette.requests import Request

from api.limits import retry_after
from api.problems import Problem
from api.state import ServiceState
from notary.store.issuers import hash_api_key, key_holder

MAX_KEY_LENGTH = 512
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="notary"'}


@dataclass(frozen=True)
class Principal:
    """The authenticated caller."""

    subject: str
    """Stable name for limits and the audit log: "admin" or "key:<id>"."""
    issuer_address: str | None = None
    issuer_name: str | None = None

    @property
    def is_admin(self) -> bool:
        """True for the admin key (or an admin key stored without an issuer)."""
        return self.issuer_address is None

    def may_see(self, issuer_address: str) -> bool:
        """An issuer sees its own documents only; the admin sees all."""
        return self.is_admin or self.issuer_address == issuer_address


async def authenticate(service: ServiceState, request: Request) -> Principal:
    """The caller named by the bearer key, rate limited; 401 when missing or unknown.

    A key seen lately is answered from memory; only an unknown one waits for the database
    (in a worker thread), so most requests spend no thread hop here.
    """
    header = request.headers.get("authorization")
    if not header:
        raise Problem(
            401, "unauthenticated", "send Authorization: Bearer <api key>", headers=CHALLENGE
        )
    scheme, _, secret = header.partition(" ")
    secret = secret.strip()
    if scheme.lower() != "bearer" or not secret or len(secret) > MAX_KEY_LENGTH:
        raise Problem(
            401, "unauthenticated", "expected Authorization: Bearer <api key>", headers=CHALLENGE
        )
    key_hash = hash_api_key(secret)
    principal = _known(service, key_hash)
    if principal is None:
        principal = await service.blocking(_principal, service, key_hash)
    wait = service.limiter.take(principal.subject)
    if wait:
        raise Problem(
            429,
            "rate-limited",
            f"more than {service.settings.rate_limit_per_s:g} requests a second for this key",
            headers={"Retry-After": retry_after(wait)},
        )
    return principal


def _known(service: ServiceState, key_hash: bytes) -> Principal | None:
    """The admin, or a key found in the cache; None if the database must be asked."""
    if hmac.compare_digest(key_hash, hash_api_key(service.admin_key)):
        return Principal("admin")
    cached: Principal | None = service.auth_cache.get(key_hash)
    return cached


def _principal(service: ServiceState, key_hash: bytes) -> Principal:
    """The key's principal from the database (401 if unknown), remembered for a while."""
    ticket = service.auth_cache.ticket()  # before the read: see api.key_cache
    with service.store.read() as conn:
        holder = key_holder(conn, key_hash)
    if holder is None:
        raise Problem(401, "unauthenticated", "unknown or revoked API key", headers=CHALLENGE)
    subject = f"key:{holder.key_id}"
    principal = (
        Principal(subject)
        if holder.issuer_id is None
        else Principal(subject, holder.issuer_address, holder.issuer_name)
    )
    service.auth_cache.put(key_hash, principal, ticket)
    return principal


def client_address(request: Request) -> str:
    """The client's IP address, for limits on unauthenticated endpoints."""
    return request.client.host if request.client else "unknown"
