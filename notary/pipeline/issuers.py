"""Registering and deactivating issuers: in the database at once, on chain through the outbox."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from notary.core.errors import FormatError, NotaryError
from notary.core.identity import display_name, signing_address
from notary.core.types import to_checksum_address
from notary.pipeline.effects import DEACTIVATE_ISSUER, REGISTER_ISSUER
from notary.store import chain_ops
from notary.store import issuers as rows
from notary.store.engine import Store
from notary.store.errors import UnknownIssuer
from notary.store.models import Issuer

FAILED = "failed"
"""`onchain_state` of an issuer whose registration the chain refused."""


class IssuerExists(NotaryError):
    """An issuer with this address is already registered."""


class NameTaken(FormatError):
    """The name reads the same as a registered issuer's (a 422 naming `name`)."""

    def __init__(self, other: str) -> None:
        super().__init__(
            "name",
            f"reads the same as the name of issuer {other} (letters that look alike, "
            "or the same letters in another case): choose a name readers can tell apart",
        )
        self.other = other


def register_issuer(
    store: Store,
    address: str,
    name: str,
    jurisdiction: str | None,
    actor: str,
    now: dt.datetime | None = None,
) -> Issuer:
    """Create the issuer (active at once) and queue its on-chain registration.

    Refused with FormatError: an address no key can sign for, a name people could misread
    (`notary.core.identity`), or one that reads the same as another issuer's (NameTaken;
    the store's unique name keys decide when two registrations race).
    """
    checksummed = signing_address(address)
    name = display_name(name)
    try:
        with store.write() as conn:
            if rows.get_issuer(conn, checksummed) is not None:
                raise IssuerExists(f"issuer {checksummed} is already registered")
            other = rows.reading_as(conn, name)
            if other is not None:
                raise NameTaken(other)
            issuer = rows.create_issuer(conn, checksummed, name, jurisdiction, now)
            chain_ops.enqueue(
                conn, REGISTER_ISSUER, {"address": checksummed, "name": name}, now=now
            )
            rows.audit(
                conn,
                actor,
                "register_issuer",
                checksummed,
                {"name": name, "jurisdiction": jurisdiction},
            )
    except IntegrityError:
        with store.read() as conn:
            if rows.get_issuer(conn, checksummed) is not None:
                raise IssuerExists(f"issuer {checksummed} is already registered") from None
            other = rows.reading_as(conn, name)
        if other is None:
            raise
        raise NameTaken(other) from None
    return issuer


class RegistrationFailed(NotaryError):
    """The chain refused the issuer's registration: it may not notarise until it is retried."""

    def __init__(self, address: str, reason: str | None) -> None:
        self.address = address
        self.reason = reason
        super().__init__(f"the registration of issuer {address} on the blockchain failed")

    def diagnostics(self) -> str:
        """Say why, and what an administrator does about it."""
        why = f" ({self.reason})" if self.reason else ""
        return (
            f"{self}{why}; its documents would not verify. An administrator fixes the cause "
            f"and retries it: POST /v1/issuers/{self.address}/register"
        )


class NotFailed(NotaryError, LookupError):
    """Only a failed registration can be retried."""


def retry_registration(
    store: Store, address: str, actor: str, now: dt.datetime | None = None
) -> None:
    """Queue a failed on-chain registration again; the issuer may notarise meanwhile.

    Its documents sealed from now on are anchored after the registration (the worker sends
    operations in order); those anchored while it was failed stay invalid.
    """
    checksummed = to_checksum_address(address, "address")
    with store.write() as conn:
        issuer = rows.get_issuer(conn, checksummed)
        if issuer is None or not issuer.active:
            raise UnknownIssuer(checksummed, deactivated=issuer is not None)
        if issuer.onchain_state != FAILED:
            raise NotFailed(
                f"issuer {checksummed} is {issuer.onchain_state} on the blockchain, not failed"
            )
        rows.mark_onchain(conn, checksummed, "unregistered")
        chain_ops.enqueue(
            conn, REGISTER_ISSUER, {"address": checksummed, "name": issuer.name}, now=now
        )
        rows.audit(
            conn, actor, "retry_register_issuer", checksummed, {"after": issuer.onchain_error}
        )


def deactivate_issuer(
    store: Store, address: str, actor: str, now: dt.datetime | None = None
) -> None:
    """Stop the issuer notarising here and queue its deactivation on chain (final)."""
    checksummed = to_checksum_address(address, "address")
    with store.write() as conn:
        issuer = rows.get_issuer(conn, checksummed)
        if issuer is None:
            raise UnknownIssuer(checksummed)
        if not rows.deactivate_issuer(conn, checksummed, now):
            raise UnknownIssuer(checksummed, deactivated=True)
        if issuer.onchain_state != FAILED:  # a failed registration left nothing to deactivate
            chain_ops.enqueue(conn, DEACTIVATE_ISSUER, {"address": checksummed}, now=now)
        rows.audit(conn, actor, "deactivate_issuer", checksummed)


def register_everywhere(store: Store, actor: str, now: dt.datetime | None = None) -> list[str]:
    """Queue the on-chain registration of every active issuer again; their addresses.

    For a service moved to a new registry: the worker registers, on the registry it now
    sends to, each issuer that registry does not know (one it knows is left as it is),
    before anchoring anything sealed after this call (operations go out in order). An
    issuer whose registration failed keeps waiting for its retry.
    """
    with store.write() as conn:
        active = conn.execute(
            select(Issuer.address, Issuer.name)
            .where(Issuer.active, Issuer.onchain_state != FAILED)
            .order_by(Issuer.id)
        ).all()
        for address, name in active:
            rows.mark_onchain(conn, address, "unregistered")
            chain_ops.enqueue(conn, REGISTER_ISSUER, {"address": address, "name": name}, now=now)
        rows.audit(conn, actor, "register_issuers_again", None, {"count": len(active)})
    return [address for address, _ in active]
