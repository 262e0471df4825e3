"""A document's receipt assembled from the store and signed with the service key.

Pending (accepted or sealed, anchor not yet mined): values, salted metadata, the issuer
and the service's promise to anchor by accepted time + batch interval + a margin.
Anchored (the batch's anchor transaction mined or final): the same plus the proof read
back from the store, the root and where the anchor landed. Both are signed, so a later
`verify_receipt` with the published keys checks them; the inputs are stored and never
change, so the same state always yields byte-identical receipts.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from eth_account.typed_transactions.typed_transaction import TypedTransaction
from hexbytes import HexBytes
from sqlalchemy import Connection, Table, and_, bindparam, select

from notary.core.issuer_signing import RegistryDomain, SubmissionRoot
from notary.core.receipts import AnchorInfo, IssuerSignature, Receipt, ServiceInfo
from notary.core.signing import ServiceKey, sign_receipt
from notary.core.types import Address, Digest, Hash32, Leaf, to_checksum_address
from notary.pipeline.proofs import BATCH_COLUMNS, StoredProof, batch_of, proof_from
from notary.pipeline.submission_paths import submission_path
from notary.pipeline.submissions import SignedSubmission, path_in
from notary.store.compiled import CompiledSelect
from notary.store.engine import Store
from notary.store.errors import DocumentNotFound
from notary.store.models import (
    BY_LEAF,
    IS_ANCHOR_OP,
    Batch,
    ChainOp,
    Document,
    Issuer,
    Revocation,
    Submission,
    hash_prefix,
    leaf_params,
)
from notary.store.records import DocumentRecord

ANCHORED_OP_STATES = ("mined", "final")
"""The anchor's states in which its block is known; `final` once confirmations are counted."""

_DOCS = cast(Table, Document.__table__)
_ISSUERS = cast(Table, Issuer.__table__)
_BATCHES = cast(Table, Batch.__table__)
_OPS = cast(Table, ChainOp.__table__)
_REVOCATIONS = cast(Table, Revocation.__table__)
_SUBMISSIONS = cast(Table, Submission.__table__)
_SELECT = select(
    _DOCS,
    _ISSUERS.c.name.label("issuer_name"),
    _BATCHES.c.state.label("batch_state"),
    _BATCHES.c.anchored_at.label("batch_anchored_at"),
    _OPS.c.state.label("op_state"),
    _OPS.c.tx_hash.label("op_tx_hash"),
    _OPS.c.block_number.label("op_block_number"),
    _OPS.c.block_hash.label("op_block_hash"),
    _OPS.c.block_timestamp.label("op_block_timestamp"),
    _OPS.c.raw_tx.label("op_raw_tx"),
    _REVOCATIONS.c.state.label("revocation_state"),
    _REVOCATIONS.c.reason.label("revocation_reason"),
    _SUBMISSIONS.c.signer.label("submission_signer"),
    _SUBMISSIONS.c.signature.label("submission_signature"),
    _SUBMISSIONS.c.leaves_root.label("submission_leaves_root"),
    _SUBMISSIONS.c.leaf_count.label("submission_leaf_count"),
    *BATCH_COLUMNS,
).select_from(
    _DOCS.join(_ISSUERS, _ISSUERS.c.address == _DOCS.c.issuer_address)
    .outerjoin(_BATCHES, _BATCHES.c.id == _DOCS.c.batch_id)
    .outerjoin(_OPS, and_(_OPS.c.batch_id == _DOCS.c.batch_id, IS_ANCHOR_OP))
    .outerjoin(_REVOCATIONS, _REVOCATIONS.c.document_id == _DOCS.c.id)
    .outerjoin(_SUBMISSIONS, _SUBMISSIONS.c.id == _DOCS.c.submission_id)
)
_LOAD = _SELECT.where(BY_LEAF)
MAX_CANDIDATES = 100
"""Most documents one issuer notarised with the same digest that `candidates_in` returns."""
_CANDIDATES = (
    _SELECT.where(
        _DOCS.c.digest_prefix == bindparam("digest_prefix"),
        _DOCS.c.digest == bindparam("digest"),
        _DOCS.c.issuer_address == bindparam("issuer"),
    )
    .order_by(_DOCS.c.id)
    .limit(MAX_CANDIDATES)
)
_CANDIDATES_ON_CURSOR = CompiledSelect(_CANDIDATES)
"""The public verification's lookup: run on the driver's cursor (see notary.store.compiled)."""
_WITH_DIGEST = (
    _SELECT.where(
        _DOCS.c.digest_prefix == bindparam("digest_prefix"),
        _DOCS.c.digest == bindparam("digest"),
    )
    .order_by(_DOCS.c.id)
    .limit(MAX_CANDIDATES)
)


@dataclass(frozen=True)
class ReceiptContext:
    """What every receipt needs besides the stored rows."""

    service_id: str
    key: ServiceKey
    contract: str
    chain_id: Callable[[], int]
    """Asked only for anchored receipts (the caller caches it; it may need the RPC)."""
    promise: dt.timedelta
    """Batch interval plus a margin: how long after acceptance anchoring is promised."""


@dataclass(frozen=True)
class AnchorFacts:
    """Where the batch's anchor transaction landed."""

    state: str
    tx_hash: bytes
    block_number: int
    block_hash: bytes
    timestamp: int
    contract: str | None = None
    """The registry the transaction went to; None if not known here (the service's own)."""


@dataclass(frozen=True)
class SignedBy:
    """The issuer's signature of the submission a document came in, and its path to it."""

    signer: Address
    signature: bytes
    leaves_root: SubmissionRoot
    path: tuple[bytes, ...]
    """From the document's leaf up to `leaves_root`; empty when the leaf is the root."""

    @classmethod
    def of(cls, submission: SignedSubmission, leaf: Leaf) -> SignedBy:
        """A document's signature facts from the submission it was just accepted in."""
        path = tuple(path_in(submission.nodes, leaf))
        return cls(submission.signer, submission.signature, submission.leaves_root, path)

    def in_receipt(self, chain_id: int, registry: str) -> IssuerSignature:
        """What a v2 receipt carries of it, in the domain of the registry it is anchored on."""
        domain = RegistryDomain.of(chain_id, registry)
        return IssuerSignature(self.signer, self.signature, self.leaves_root, self.path, domain)


@dataclass(frozen=True)
class StoredDocument:
    """A document's record and everything about it the API shows."""

    record: DocumentRecord
    issuer_name: str
    batch_state: str | None
    anchor: AnchorFacts | None
    proof: StoredProof | None
    revocation_state: str | None
    revocation_reason: int | None
    signed_by: SignedBy | None = None
    """None: the issuer did not sign it (the service vouches for it)."""

    @property
    def anchored(self) -> bool:
        """True once the anchor transaction is mined (its block is known)."""
        return self.anchor is not None and self.proof is not None


def load_document(store: Store, leaf: Leaf) -> StoredDocument:
    """The document with this leaf and its batch, anchor and revocation; DocumentNotFound."""
    with store.lookup() as conn:  # one row, then nodes that never change: no snapshot
        return load_in(conn, leaf)


def load_in(conn: Connection, leaf: Leaf) -> StoredDocument:
    """`load_document` inside the caller's transaction."""
    row = conn.execute(_LOAD, leaf_params(leaf.raw)).mappings().first()
    if row is None:
        raise DocumentNotFound(leaf.hex)
    return document_in(conn, row)


LOAD_MANY_CHUNK = 500
"""Leaves per query in `load_many` (well under every driver's parameter limit)."""
_LOAD_MANY = _SELECT.where(_DOCS.c.leaf_prefix.in_(bindparam("prefixes", expanding=True)))


def load_many(store: Store, leaves: Sequence[Leaf]) -> list[StoredDocument | None]:
    """The documents with these leaves, in order (None where there is none), on one
    connection and one query per LOAD_MANY_CHUNK leaves: receipts for a whole stamped
    folder in one request."""
    wanted = {leaf.raw for leaf in leaves}
    found: dict[bytes, StoredDocument] = {}
    with store.lookup() as conn:
        for start in range(0, len(leaves), LOAD_MANY_CHUNK):
            prefixes = {hash_prefix(leaf.raw) for leaf in leaves[start : start + LOAD_MANY_CHUNK]}
            for row in conn.execute(_LOAD_MANY, {"prefixes": list(prefixes)}).mappings():
                # A prefix may be shared by another document: the full leaf decides.
                if row["leaf"] in wanted and row["leaf"] not in found:
                    found[row["leaf"]] = document_in(conn, row)
    return [found.get(leaf.raw) for leaf in leaves]


def candidates_in(
    conn: Connection, asks: Sequence[tuple[Digest, str]]
) -> list[Sequence[Mapping[str, Any]]]:
    """For each (digest, issuer): rows of the documents `issuer` notarised with `digest`,
    oldest first, for `document_in`.

    One query with everything `load_in` reads, so that finding a document by digest and
    loading it is one round trip (plus its proof's nodes once anchored); the queries of
    several pairs go out together (one round trip for all on PostgreSQL).
    """
    many = [
        {"digest": d.raw, "digest_prefix": hash_prefix(d.raw), "issuer": issuer}
        for d, issuer in asks
    ]
    return list(_CANDIDATES_ON_CURSOR.rows_many(conn, many))


def documents_with_digest(conn: Connection, digest: Digest) -> list[StoredDocument]:
    """Every document notarised with `digest`, by any issuer, oldest first (at most
    MAX_CANDIDATES): what a verifier holding only the file can ask for."""
    params = {"digest": digest.raw, "digest_prefix": hash_prefix(digest.raw)}
    return [document_in(conn, row) for row in conn.execute(_WITH_DIGEST, params).mappings()]


def document_in(conn: Connection, row: Mapping[Any, Any]) -> StoredDocument:
    """The StoredDocument of a row from `load_in`'s or `candidates_in`'s query."""
    anchor = proof = None
    if row["op_state"] in ANCHORED_OP_STATES and row["op_block_hash"] is not None:
        anchor = AnchorFacts(
            row["op_state"],
            row["op_tx_hash"],
            row["op_block_number"],
            row["op_block_hash"],
            row["op_block_timestamp"],
            _recipient(row["op_raw_tx"]),
        )
    record = DocumentRecord.from_row(row)
    if anchor is not None:
        proof = proof_from(conn, record, batch_of(row))
    return StoredDocument(
        record,
        row["issuer_name"],
        row["batch_state"],
        anchor,
        proof,
        row["revocation_state"],
        row["revocation_reason"],
        _signed_by(conn, row, record.leaf),
    )


def _signed_by(conn: Connection, row: Mapping[Any, Any], leaf: Leaf) -> SignedBy | None:
    """The document's signed submission from its row (None when it was not signed)."""
    submission_id = row["submission_id"]
    if submission_id is None:
        return None
    root = bytes(row["submission_leaves_root"])
    path = submission_path(conn, submission_id, root, row["submission_leaf_count"], leaf)
    return SignedBy(
        Address(row["submission_signer"]),
        bytes(row["submission_signature"]),
        SubmissionRoot(root),
        tuple(path),
    )


def pending_receipt(
    record: DocumentRecord,
    issuer_name: str,
    ctx: ReceiptContext,
    signed_by: SignedBy | None = None,
) -> Receipt:
    """The signed pending receipt of a stored document (sealed or not); `signed_by`: the
    issuer's signature, making it a v2 receipt in the domain of the service's registry."""
    promised = record.created_at + ctx.promise
    service = ServiceInfo(
        ctx.service_id,
        key_id=ctx.key.key_id,
        batch=None if record.batch_id is None else str(record.batch_id),
        promised_by=_rfc3339(promised),
    )
    issuer_signature = None
    if signed_by is not None:
        issuer_signature = signed_by.in_receipt(ctx.chain_id(), ctx.contract)
    receipt = Receipt.pending(
        record.values, issuer_name, service, record.metadata, issuer_signature
    )
    return sign_receipt(receipt, ctx.key)


def receipt_of(document: StoredDocument, ctx: ReceiptContext) -> Receipt:
    """The document's signed receipt: anchored once its anchor is mined, pending before."""
    if document.anchor is None or document.proof is None:
        return pending_receipt(document.record, document.issuer_name, ctx, document.signed_by)
    return sign_receipt(unsigned_anchored_receipt(document, ctx), ctx.key)


def unsigned_anchored_receipt(document: StoredDocument, ctx: ReceiptContext) -> Receipt:
    """An anchored document's receipt carrying the service's key id, not yet signed."""
    if document.anchor is None or document.proof is None:
        raise ValueError(f"document {document.record.leaf.hex} is not anchored")
    a = document.anchor
    chain_id = ctx.chain_id()
    anchor = AnchorInfo(
        chain_id=chain_id,
        # The registry that anchored it: after the service moved to a new registry, the
        # batches of the old one still name theirs.
        contract=a.contract or ctx.contract,
        tx_hash=Hash32(a.tx_hash),
        block_number=a.block_number,
        block_hash=Hash32(a.block_hash),
        timestamp=a.timestamp,
    )
    record = document.record
    service = ServiceInfo(ctx.service_id, key_id=ctx.key.key_id, batch=str(record.batch_id))
    signed = document.signed_by
    issuer_signature = None if signed is None else signed.in_receipt(chain_id, anchor.contract)
    base = Receipt.pending(
        record.values, document.issuer_name, service, record.metadata, issuer_signature
    )
    return base.anchored(anchor, document.proof.proof, document.proof.root)


def receipt_for(store: Store, leaf: Leaf, ctx: ReceiptContext) -> Receipt:
    """Load a document and return its signed receipt."""
    return receipt_of(load_document(store, leaf), ctx)


def _recipient(raw_tx: bytes | None) -> str | None:
    """The `to` of a stored signed transaction: the registry that anchored the batch."""
    if raw_tx is None:
        return None
    return _recipient_of(bytes(raw_tx))


@functools.lru_cache(maxsize=4096)
def _recipient_of(raw_tx: bytes) -> str | None:
    try:
        to = TypedTransaction.from_bytes(HexBytes(raw_tx)).as_dict()["to"]
    except (TypeError, ValueError, KeyError):  # not a typed transaction this service signs
        return None
    return to_checksum_address("0x" + bytes(to).hex()) if to else None


def _rfc3339(at: dt.datetime) -> str:
    # Whole seconds, rounded up: a promise should never be earlier than computed.
    whole = at.replace(microsecond=0) + dt.timedelta(seconds=1 if at.microsecond else 0)
    return whole.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
