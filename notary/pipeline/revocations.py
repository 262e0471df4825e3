"""Revoking documents: requests are stored at once, then grouped into on-chain calls.

A request is committed before the caller gets an answer; the anchoring worker later
groups every waiting request of one issuer and reason into a single `revokeFor`
transaction (up to REVOKE_BATCH_MAX leaves), through the same durable outbox as anchors.

An issuer that signs (one with signing keys on the registry) revokes only with its own
EIP-712 `Revocation(issuer, leaves, reason, nonce, deadline)` signature, by a key it has
authorised now or by its root key: the registry refuses `revokeFor` for it, so the hot
wallet alone can revoke nothing of it. Such a request is its own operation at once,
holding the signature, and the worker relays it as `revokeBySig` (the service pays).
"""

from __future__ import annotations

import datetime as dt
import secrets
import time
from collections import defaultdict
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Connection, Table, select, update

from notary.core.errors import FormatError, NotaryError
from notary.core.issuer_signing import (
    RegistryDomain,
    keyed_nonce,
    recover_signer,
    revocation_hash,
    typed_data,
)
from notary.core.types import Address, Leaf, to_checksum_address
from notary.pipeline.effects import REVOKE
from notary.pipeline.submissions import IssuerKeys, SignatureRefused, UnknownSigner
from notary.store import chain_ops
from notary.store.engine import Store
from notary.store.errors import DocumentNotFound
from notary.store.issuers import audit
from notary.store.models import BY_LEAF, Document, Revocation, leaf_params

REVOKE_BATCH_MAX = 200
"""Leaves per revocation transaction: ~23,300 gas each, so about 4.7M gas per call."""
MIN_REASON, MAX_REASON = 1, 255
MIN_DEADLINE_S = 600
"""A signed revocation must stay valid this long: time for the worker to relay it."""
SUGGESTED_DEADLINE_S = 7 * 24 * 3600
"""The deadline `revocation_request` proposes: a week, for a chain that is down a while."""

_REVOCATIONS = cast(Table, Revocation.__table__)
_DOCS = cast(Table, Document.__table__)


class NotYourDocument(NotaryError, PermissionError):
    """An issuer tried to revoke a document another issuer notarised."""


@dataclass(frozen=True)
class SignedRevocation:
    """An issuer's checked EIP-712 signature of the revocation of one leaf."""

    signer: Address
    signature: bytes
    nonce: int
    deadline: int

    def payload(self) -> dict[str, Any]:
        """The fields `revokeBySig` is sent with (JSON: the nonce as decimal text)."""
        return {
            "signer": self.signer,
            "signature": "0x" + self.signature.hex(),
            "nonce": str(self.nonce),
            "deadline": self.deadline,
        }


def check_revocation(
    domain: RegistryDomain,
    keys: IssuerKeys,
    leaf: Leaf,
    reason: int,
    signature: bytes,
    nonce: int,
    deadline: int,
    now: float | None = None,
) -> SignedRevocation:
    """The signed revocation if `revokeBySig` would take it from a key of `keys`' issuer
    authorised now (or its root key); SignatureRefused naming the field otherwise."""
    at = time.time() if now is None else now
    if deadline < at + MIN_DEADLINE_S:
        raise SignatureRefused(
            "deadline", f"must leave at least {MIN_DEADLINE_S} s to relay it (Unix seconds)"
        )
    digest = domain.digest(revocation_hash(keys.issuer, [leaf], reason, nonce, deadline))
    signer = recover_signer(digest, signature)
    if signer is None:
        raise SignatureRefused(
            "signature", "not a valid signature: 65 bytes r ‖ s ‖ v with v 27 or 28 and a low s"
        )
    if signer != keys.issuer and signer not in keys.active:
        raise UnknownSigner(
            signer,
            f"Revocation(issuer {keys.issuer}, [{leaf.hex}], reason "
            f"{reason}, nonce {nonce}, deadline {deadline}) was signed by {signer}, neither "
            "the issuer's root key nor a key it has authorised now",
        )
    return SignedRevocation(signer, signature, nonce, deadline)


def revocation_request(
    domain: RegistryDomain, issuer: str, leaf: Leaf, reason: int, now: float | None = None
) -> dict[str, Any]:
    """The EIP-712 typed data an issuer signs to revoke `leaf` (eth_signTypedData_v4 form).

    The nonce opens a fresh random sequence of the issuer's keyed nonces (number 0), so
    revocations signed at the same time never spend each other's; a uint256 beyond
    JSON's safe integers, it is written as decimal text.
    """
    at = int(time.time() if now is None else now)
    return typed_data(
        domain,
        "Revocation",
        (
            ("issuer", "address"),
            ("leaves", "bytes32[]"),
            ("reason", "uint8"),
            ("nonce", "uint256"),
            ("deadline", "uint256"),
        ),
        {
            "issuer": to_checksum_address(issuer, "issuer"),
            "leaves": [leaf.hex],
            "reason": reason,
            "nonce": str(keyed_nonce(secrets.randbits(192), 0)),
            "deadline": at + SUGGESTED_DEADLINE_S,
        },
    )


@dataclass(frozen=True)
class RevocationRecord:
    """A revocation request and how far it got."""

    leaf: Leaf
    issuer: str
    reason: int
    note: str | None
    state: str
    requested_at: dt.datetime
    created: bool


def request_revocation(
    store: Store,
    issuer_address: str,
    leaf: Leaf,
    reason: int,
    note: str | None,
    actor: str,
    now: dt.datetime | None = None,
    signed: SignedRevocation | None = None,
) -> RevocationRecord:
    """Record that `issuer_address` revokes `leaf`; asking twice returns the first request.

    `signed`: the issuer's checked signature; the relayed operation is queued with it.
    """
    check_reason(reason)
    issuer = to_checksum_address(issuer_address, "issuer")
    at = now or dt.datetime.now(dt.UTC)
    with store.write() as conn:
        document = conn.execute(
            select(_DOCS.c.id, _DOCS.c.issuer_address).where(BY_LEAF), leaf_params(leaf.raw)
        ).first()
        if document is None:
            raise DocumentNotFound(leaf.hex)
        document_id, owner = document
        if owner != issuer:
            raise NotYourDocument(f"document {leaf.hex} was notarised by another issuer")
        existing = _find(conn, leaf)
        if existing is not None:
            return existing
        op_id = None
        if signed is not None:  # its own operation: the signature covers exactly this leaf
            payload = {"issuer": issuer, "reason": reason, "leaves": [leaf.hex], **signed.payload()}
            op_id = chain_ops.enqueue(conn, REVOKE, payload, now=now)
        conn.execute(
            _REVOCATIONS.insert().values(
                document_id=document_id,
                leaf=leaf.raw,
                issuer_address=issuer,
                reason=reason,
                note=note,
                requested_at=at,
                state="requested",
                chain_op_id=op_id,
            )
        )
        detail = {"reason": reason, "note": note}
        if signed is not None:
            detail["signer"] = signed.signer
        audit(conn, actor, "revoke", leaf.hex, detail)
    return RevocationRecord(leaf, issuer, reason, note, "requested", at, created=True)


def check_reason(reason: object) -> None:
    """FormatError naming `reason` unless it is a code from 1 to 255."""
    if isinstance(reason, bool) or not isinstance(reason, int):
        raise FormatError("reason", f"a reason code from {MIN_REASON} to {MAX_REASON}")
    if not MIN_REASON <= reason <= MAX_REASON:
        raise FormatError("reason", f"a reason code from {MIN_REASON} to {MAX_REASON}")


def revocation_of(store: Store, leaf: Leaf) -> RevocationRecord | None:
    """The revocation request for `leaf`, if any."""
    with store.read() as conn:
        return _find(conn, leaf)


def queue_revocations(store: Store, now: dt.datetime | None = None) -> int:
    """Turn waiting requests into revoke operations; returns how many were queued."""
    with store.write() as conn:
        waiting = conn.execute(
            select(
                _REVOCATIONS.c.id,
                _REVOCATIONS.c.issuer_address,
                _REVOCATIONS.c.reason,
                _REVOCATIONS.c.leaf,
            )
            .where(_REVOCATIONS.c.state == "requested", _REVOCATIONS.c.chain_op_id.is_(None))
            .order_by(_REVOCATIONS.c.id)
        ).all()
        groups: dict[tuple[str, int], list[tuple[int, bytes]]] = defaultdict(list)
        for row_id, issuer, reason, leaf in waiting:
            groups[(issuer, reason)].append((row_id, leaf))
        queued = 0
        for (issuer, reason), rows in groups.items():
            for start in range(0, len(rows), REVOKE_BATCH_MAX):
                chunk = rows[start : start + REVOKE_BATCH_MAX]
                payload = {
                    "issuer": issuer,
                    "reason": reason,
                    "leaves": ["0x" + leaf.hex() for _, leaf in chunk],
                }
                op_id = chain_ops.enqueue(conn, REVOKE, payload, now=now)
                conn.execute(
                    update(_REVOCATIONS)
                    .where(_REVOCATIONS.c.id.in_([row_id for row_id, _ in chunk]))
                    .values(chain_op_id=op_id)
                )
                queued += 1
    return queued


def _find(conn: Connection, leaf: Leaf) -> RevocationRecord | None:
    row = (
        conn.execute(select(_REVOCATIONS).where(_REVOCATIONS.c.leaf == leaf.raw)).mappings().first()
    )
    if row is None:
        return None
    return RevocationRecord(
        Leaf(row["leaf"]),
        row["issuer_address"],
        row["reason"],
        row["note"],
        row["state"],
        row["requested_at"],
        created=False,
    )
