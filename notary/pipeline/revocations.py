"""Revoking documents: requests are stored at once, then grouped into on-chain calls.

A request is committed before the caller gets an answer; the anchoring worker later
groups every waiting request of one issuer and reason into a single `revokeFor`
transaction (up to REVOKE_BATCH_MAX leaves), through the same durable outbox as anchors.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import cast

from sqlalchemy import Connection, Table, select, update

from notary.core.errors import FormatError, NotaryError
from notary.core.types import Leaf, to_checksum_address
from notary.pipeline.effects import REVOKE
from notary.store import chain_ops
from notary.store.engine import Store
from notary.store.errors import DocumentNotFound
from notary.store.issuers import audit
from notary.store.models import BY_LEAF, Document, Revocation, leaf_params

REVOKE_BATCH_MAX = 200
"""Leaves per revocation transaction: ~23,300 gas each, so about 4.7M gas per call."""
MIN_REASON, MAX_REASON = 1, 255

_REVOCATIONS = cast(Table, Revocation.__table__)
_DOCS = cast(Table, Document.__table__)


class NotYourDocument(NotaryError, PermissionError):
    """An issuer tried to revoke a document another issuer notarised."""


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
) -> RevocationRecord:
    """Record that `issuer_address` revokes `leaf`; asking twice returns the first request."""
    if not isinstance(reason, int) or not MIN_REASON <= reason <= MAX_REASON:
        raise FormatError("reason", f"a reason code from {MIN_REASON} to {MAX_REASON}")
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
        conn.execute(
            _REVOCATIONS.insert().values(
                document_id=document_id,
                leaf=leaf.raw,
                issuer_address=issuer,
                reason=reason,
                note=note,
                requested_at=at,
                state="requested",
            )
        )
        audit(conn, actor, "revoke", leaf.hex, {"reason": reason, "note": note})
    return RevocationRecord(leaf, issuer, reason, note, "requested", at, created=True)


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
