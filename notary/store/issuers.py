"""Issuers, their API keys and the audit log: the small administrative tables."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Sequence
from typing import Any, NamedTuple, cast

from sqlalchemy import Connection, RowMapping, Table, or_, select, update

from notary.core.identity import name_keys
from notary.core.types import to_checksum_address
from notary.store.models import ApiKey, AuditEntry, Issuer

API_KEY_PREFIX = "nty_"
API_KEY_BYTES = 32
"""256 random bits: a plain SHA-256 of the key is then as good as a slow password hash."""
DISPLAY_PREFIX_LENGTH = 12  # "nty_" and 8 characters, enough to tell keys apart in a list

_ISSUERS = cast(Table, Issuer.__table__)
_KEYS = cast(Table, ApiKey.__table__)
_AUDIT = cast(Table, AuditEntry.__table__)


class NewApiKey(NamedTuple):
    """A freshly made key: the secret is shown once and never stored."""

    id: int
    secret: str
    prefix: str


def hash_api_key(secret: str) -> bytes:
    """The stored form of an API key."""
    return hashlib.sha256(secret.encode("utf-8")).digest()


def create_issuer(
    conn: Connection,
    address: str,
    name: str,
    jurisdiction: str | None = None,
    now: dt.datetime | None = None,
) -> Issuer:
    """Register an issuer (active, not yet registered on chain) in the caller's transaction.

    The name's keys go under unique indexes: an IntegrityError if another issuer's name
    reads the same (`reading_as` tells which).
    """
    keys = name_keys(name)
    issuer = Issuer(
        address=to_checksum_address(address, "address"),
        name=name,
        jurisdiction=jurisdiction,
        active=True,
        onchain_state="unregistered",
        created_at=now or dt.datetime.now(dt.UTC),
        name_skeleton=keys.skeleton,
        name_folded=keys.folded,
    )
    values = {c.key: getattr(issuer, c.key) for c in _ISSUERS.columns if c.key != "id"}
    issuer.id = conn.execute(_ISSUERS.insert().values(values).returning(_ISSUERS.c.id)).scalar_one()
    return issuer


def get_issuer(conn: Connection, address: str) -> Issuer | None:
    """The issuer with this address, or None."""
    row = (
        conn.execute(
            select(_ISSUERS).where(_ISSUERS.c.address == to_checksum_address(address, "address"))
        )
        .mappings()
        .first()
    )
    return None if row is None else Issuer(**row)


def reading_as(conn: Connection, name: str) -> str | None:
    """The address of the issuer whose name reads the same as `name`, or None."""
    keys = name_keys(name)
    t = _ISSUERS
    found: str | None = conn.execute(
        select(t.c.address)
        .where(or_(t.c.name_skeleton == keys.skeleton, t.c.name_folded == keys.folded))
        .order_by(t.c.id)
        .limit(1)
    ).scalar()
    return found


def mark_onchain(conn: Connection, address: str, state: str, error: str | None = None) -> None:
    """Record where the issuer's registration stands on chain (and why it failed)."""
    t = _ISSUERS
    conn.execute(
        update(t).where(t.c.address == address).values(onchain_state=state, onchain_error=error)
    )


def deactivate_issuer(conn: Connection, address: str, now: dt.datetime | None = None) -> bool:
    """Stop an issuer from notarising; True if it was active."""
    t = _ISSUERS
    result = conn.execute(
        update(t)
        .where(t.c.address == to_checksum_address(address, "address"), t.c.active.is_(True))
        .values(active=False, deactivated_at=now or dt.datetime.now(dt.UTC))
    )
    return bool(result.rowcount)


def create_api_key(
    conn: Connection, issuer_id: int | None, now: dt.datetime | None = None
) -> NewApiKey:
    """Make a key for an issuer (None: an admin key); only its hash is stored."""
    secret = API_KEY_PREFIX + secrets.token_urlsafe(API_KEY_BYTES)
    prefix = secret[:DISPLAY_PREFIX_LENGTH]
    key_id = conn.execute(
        _KEYS.insert()
        .values(
            issuer_id=issuer_id,
            key_hash=hash_api_key(secret),
            prefix=prefix,
            created_at=now or dt.datetime.now(dt.UTC),
        )
        .returning(_KEYS.c.id)
    ).scalar_one()
    return NewApiKey(key_id, secret, prefix)


def find_api_key(conn: Connection, secret: str) -> ApiKey | None:
    """The unrevoked key with this secret, or None (a lookup by hash, constant per key)."""
    t = _KEYS
    row = (
        conn.execute(
            select(t).where(t.c.key_hash == hash_api_key(secret), t.c.revoked_at.is_(None))
        )
        .mappings()
        .first()
    )
    return None if row is None else ApiKey(**row)


def revoke_api_key(conn: Connection, key_id: int, now: dt.datetime | None = None) -> bool:
    """Revoke a key; True if it was live."""
    t = _KEYS
    result = conn.execute(
        update(t)
        .where(t.c.id == key_id, t.c.revoked_at.is_(None))
        .values(revoked_at=now or dt.datetime.now(dt.UTC))
    )
    return bool(result.rowcount)


def audit(
    conn: Connection,
    actor: str,
    action: str,
    subject: str | None = None,
    detail: dict[str, Any] | None = None,
    now: dt.datetime | None = None,
) -> None:
    """Append one entry to the audit log, in the caller's transaction."""
    conn.execute(
        _AUDIT.insert().values(
            at=now or dt.datetime.now(dt.UTC),
            actor=actor,
            action=action,
            subject=subject,
            detail=detail,
        )
    )


def all_issuers(conn: Connection) -> Sequence[RowMapping]:
    """Every issuer's row, in registration order."""
    return conn.execute(select(_ISSUERS).order_by(_ISSUERS.c.id)).mappings().all()


def api_keys_of(conn: Connection, issuer_id: int) -> Sequence[RowMapping]:
    """The issuer's API keys' rows (revoked ones too), oldest first."""
    query = select(_KEYS).where(_KEYS.c.issuer_id == issuer_id).order_by(_KEYS.c.id)
    return conn.execute(query).mappings().all()


def api_key_of(conn: Connection, issuer_id: int, key_id: int) -> RowMapping | None:
    """The issuer's API key `key_id` (revoked or not); None if it has no such key."""
    query = select(_KEYS).where(_KEYS.c.id == key_id, _KEYS.c.issuer_id == issuer_id)
    return conn.execute(query).mappings().first()


class KeyHolder(NamedTuple):
    """Whom an unrevoked API key stands for: an issuer, or the admin (no issuer)."""

    key_id: int
    issuer_id: int | None
    issuer_address: str | None
    issuer_name: str | None


_HOLDER = (
    select(_KEYS.c.id, _KEYS.c.issuer_id, _ISSUERS.c.address, _ISSUERS.c.name)
    .select_from(_KEYS.outerjoin(_ISSUERS, _ISSUERS.c.id == _KEYS.c.issuer_id))
    .where(_KEYS.c.revoked_at.is_(None))
)


def key_holder(conn: Connection, key_hash: bytes) -> KeyHolder | None:
    """Whom the unrevoked key with this hash (`hash_api_key`) stands for; None if no such
    key is live."""
    row = conn.execute(_HOLDER.where(_KEYS.c.key_hash == key_hash)).first()
    return None if row is None else KeyHolder(*row)
