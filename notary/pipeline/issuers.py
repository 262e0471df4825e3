"""Registering and deactivating issuers: in the database at once, on chain through the outbox."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.exc import IntegrityError

from notary.core.errors import FormatError, NotaryError
from notary.core.types import to_checksum_address
from notary.pipeline.effects import DEACTIVATE_ISSUER, REGISTER_ISSUER
from notary.store import chain_ops
from notary.store import issuers as rows
from notary.store.engine import Store
from notary.store.errors import UnknownIssuer
from notary.store.models import Issuer

MAX_NAME_LENGTH = 200


class IssuerExists(NotaryError):
    """An issuer with this address is already registered."""


def register_issuer(
    store: Store,
    address: str,
    name: str,
    jurisdiction: str | None,
    actor: str,
    now: dt.datetime | None = None,
) -> Issuer:
    """Create the issuer (active at once) and queue its on-chain registration."""
    checksummed = to_checksum_address(address, "address")
    name = _display_name(name)
    try:
        with store.write() as conn:
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
        raise IssuerExists(f"issuer {checksummed} is already registered") from None
    return issuer


def deactivate_issuer(
    store: Store, address: str, actor: str, now: dt.datetime | None = None
) -> None:
    """Stop the issuer notarising here and queue its deactivation on chain (final)."""
    checksummed = to_checksum_address(address, "address")
    with store.write() as conn:
        if rows.get_issuer(conn, checksummed) is None:
            raise UnknownIssuer(checksummed)
        if not rows.deactivate_issuer(conn, checksummed, now):
            raise UnknownIssuer(checksummed, deactivated=True)
        chain_ops.enqueue(conn, DEACTIVATE_ISSUER, {"address": checksummed}, now=now)
        rows.audit(conn, actor, "deactivate_issuer", checksummed)


def _display_name(name: str) -> str:

    cleaned = " ".join(str(name).split())
    if not cleaned or len(cleaned) > MAX_NAME_LENGTH:
        raise FormatError("name", f"a display name of 1 to {MAX_NAME_LENGTH} characters")
    return cleaned
