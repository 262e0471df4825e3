"""Stored rows: the SQLAlchemy models every table is declared from (not the API's schemas).

The Alembic migrations under `notary/migrations/` are the source of truth for the
schema; these models must match them (a test compares the two).
"""

from __future__ import annotations

import datetime as dt
import struct
from typing import Any, ClassVar, Final

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    and_,
    bindparam,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import DateTime, TypeDecorator

from notary.core.streams import STATION_KINDS

# Document statuses. Only pending and sealed are stored: a sealed document reads as
# anchored once its batch is final (see `notary.store.records`), so finalising a batch of
# a million documents is one row update, not a million.
PENDING: Final = "pending"
SEALED: Final = "sealed"
ANCHORED: Final = "anchored"
DOCUMENT_STATUSES: Final = (PENDING, SEALED, ANCHORED)
STORED_DOCUMENT_STATUSES: Final = (PENDING, SEALED)
FINAL_BATCH_STATE: Final = "final"
# Batch states: open → sealed → anchoring → anchored → final.
BATCH_STATES: Final = ("open", "sealed", "anchoring", "anchored", "final")
# Chain operations (the outbox the anchoring worker drains).
CHAIN_OP_KINDS: Final = (
    "anchor",
    "revoke",
    "register_issuer",
    "deactivate_issuer",
    "add_signer",  # an issuer's root key's relayed change of its signing keys
    "remove_signer",
)
CHAIN_OP_STATES: Final = ("queued", "signed", "broadcast", "mined", "final", "failed")
UNFINISHED_OP_STATES: Final = ("queued", "signed", "broadcast", "mined")
ISSUER_ONCHAIN_STATES: Final = (
    "unregistered",
    "registering",
    "registered",
    "deactivating",
    "deactivated",
    "failed",  # the chain refused the registration (`onchain_error` says why)
)
REVOCATION_STATES: Final = ("requested", "submitted", "revoked", "failed")

ADDRESS_LENGTH: Final = 42  # "0x" + 40 hex digits, EIP-55 checksummed
_PREFIX = struct.Struct(">q")


def hash_prefix(value: bytes) -> int:
    """The first 8 bytes of a hash as a signed 64-bit integer: the key a documents index holds.

    Indexes of 8-byte integers instead of 32-byte hashes are a third of the size, and an
    insert of random keys rewrites index pages in proportion to that size: accepting 1M
    documents in bulk on SQLite went from 31k to 41k documents/s (measured, back to back).
    A prefix narrows a lookup to (almost always) one row; the query then compares the full
    hash, so two hashes sharing a prefix never mix up.
    """
    prefix: int = _PREFIX.unpack_from(value)[0]
    return prefix


# SQLite only makes INTEGER PRIMARY KEY an alias of the rowid (no extra index) when the
# type is spelled exactly INTEGER; PostgreSQL gets 64-bit ids.
Id = BigInteger().with_variant(Integer(), "sqlite")


class UtcDateTime(TypeDecorator[dt.datetime]):
    """A timezone-aware UTC datetime on both backends (SQLite stores it naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: store timezone-aware UTC values only")
        return value.astimezone(dt.UTC)

    def process_result_value(
        self, value: dt.datetime | None, dialect: Dialect
    ) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _len32(column: str) -> CheckConstraint:
    # length() counts bytes of a BLOB on SQLite and of a bytea on PostgreSQL.
    return CheckConstraint(f"length({column}) = 32", name=f"{column}_32_bytes")


class Base(DeclarativeBase):
    """Declarative base with stable constraint names (Alembic needs them to alter)."""

    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(table_name)s_%(column_0_N_name)s",
            "uq": "uq_%(table_name)s_%(column_0_N_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        dt.datetime: UtcDateTime(),
        bytes: LargeBinary(),
        dict[str, Any]: JSON(),
    }


class Issuer(Base):
    """An issuing agency; `address` is the key it revokes with on chain."""

    __tablename__ = "issuers"
    __table_args__ = (
        CheckConstraint(_in("onchain_state", ISSUER_ONCHAIN_STATES), name="onchain_state"),
        CheckConstraint(f"length(address) = {ADDRESS_LENGTH}", name="address_length"),
        _len32("name_skeleton"),
        _len32("name_folded"),
        Index("ix_issuers_name_skeleton", "name_skeleton", unique=True),
        Index("ix_issuers_name_folded", "name_folded", unique=True),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    address: Mapped[str] = mapped_column(String(ADDRESS_LENGTH), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    jurisdiction: Mapped[str | None] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(server_default=text("true"))
    onchain_state: Mapped[str] = mapped_column(String(16), server_default="unregistered")
    created_at: Mapped[dt.datetime]
    deactivated_at: Mapped[dt.datetime | None]
    # `notary.core.identity.name_keys`: no two issuers read the same. NULL only for an
    # issuer that already read as an earlier one when migration 0007 added them.
    name_skeleton: Mapped[bytes | None]
    name_folded: Mapped[bytes | None]
    onchain_error: Mapped[str | None] = mapped_column(String(1000))


class ApiKey(Base):
    """An API key, stored only as SHA-256 of the secret; no issuer means an admin key."""

    __tablename__ = "api_keys"
    __table_args__ = (_len32("key_hash"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    issuer_id: Mapped[int | None] = mapped_column(ForeignKey("issuers.id"), index=True)
    key_hash: Mapped[bytes] = mapped_column(unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[dt.datetime]
    revoked_at: Mapped[dt.datetime | None]


class Batch(Base):
    """A sealed set of leaves whose Merkle root is anchored by one transaction."""

    __tablename__ = "batches"
    __table_args__ = (
        CheckConstraint(_in("state", BATCH_STATES), name="state"),
        CheckConstraint(
            "state = 'open' OR (root IS NOT NULL AND leaf_count > 0)", name="sealed_root"
        ),
        _len32("root"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    root: Mapped[bytes | None] = mapped_column(unique=True)
    leaf_count: Mapped[int] = mapped_column(server_default="0")
    state: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[dt.datetime]
    sealed_at: Mapped[dt.datetime | None]
    anchored_at: Mapped[dt.datetime | None]


class BatchNodes(Base):
    """One chunk of a batch's Merkle node array (OpenZeppelin `tree` layout, 32 bytes each).

    Chunked rather than one blob: SQLite reads a whole BLOB to take a substr() of it
    (2 s for a 64 MB tree, measured), so proofs read a few small chunks instead.
    """

    __tablename__ = "batch_nodes"

    batch_id: Mapped[int] = mapped_column(ForeignKey("batches.id"), primary_key=True)
    chunk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    nodes: Mapped[bytes]


class Document(Base):
    """One notarised document: its leaf values, salted metadata and place in a batch."""

    __tablename__ = "documents"
    __table_args__ = (
        CheckConstraint(_in("status", STORED_DOCUMENT_STATUSES), name="status"),
        CheckConstraint(
            "(status = 'pending' AND batch_id IS NULL AND tree_index IS NULL)"
            " OR (status <> 'pending' AND batch_id IS NOT NULL AND tree_index IS NOT NULL)",
            name="batch_placement",
        ),
        _len32("leaf"),
        _len32("digest"),
        _len32("metadata_digest"),
        CheckConstraint("length(dedup_key) = 16", name="dedup_key_16_bytes"),
        # Also finds pending documents in id order: they are exactly the (NULL, NULL)
        # entries, which SQLite orders by rowid (see `notary.pipeline.batcher`). A separate
        # partial index of pending rows doubled the cost of sealing (measured).
        Index("uq_documents_batch_id_tree_index", "batch_id", "tree_index", unique=True),
        # The two indexes of random keys, both on 8-byte prefixes (see `hash_prefix`).
        # By leaf: status, receipts, proofs, revocations.
        Index("ix_documents_leaf_prefix", "leaf_prefix"),
        # By digest (and issuer) when verifying; by (digest, dedup key) when accepting,
        # where it is the uniqueness rule: a dedup key commits to its digest.
        Index("uq_documents_digest_prefix_dedup_key", "digest_prefix", "dedup_key", unique=True),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    leaf: Mapped[bytes]
    leaf_prefix: Mapped[int] = mapped_column(BigInteger)
    digest: Mapped[bytes]
    digest_prefix: Mapped[int] = mapped_column(BigInteger)
    issuer_address: Mapped[str] = mapped_column(ForeignKey("issuers.address"))
    # The exact RFC 8785 bytes that were hashed (salt included), as text: a JSON/JSONB
    # column could re-serialise them and break the receipt's metadataDigest.
    metadata_json: Mapped[str | None] = mapped_column(Text)
    metadata_digest: Mapped[bytes]
    # SHA-256 over (issuer, digest, unsalted canonical metadata) cut to 16 bytes:
    # resubmissions find the first record though each submission would draw a new salt.
    dedup_key: Mapped[bytes]
    # pending or sealed; "anchored" and the anchoring time are the batch's (final) state.
    status: Mapped[str] = mapped_column(String(8))
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("batches.id"))
    tree_index: Mapped[int | None]
    created_at: Mapped[dt.datetime]
    # The issuer's signed submission it came in; NULL: the service vouches for it.
    submission_id: Mapped[int | None] = mapped_column(Id, ForeignKey("submissions.id"))


class Submission(Base):
    """Leaves an issuer submitted together and signed once (EIP-712 `Submission`)."""

    __tablename__ = "submissions"
    __table_args__ = (
        _len32("leaves_root"),
        CheckConstraint("length(signature) = 65", name="signature_65_bytes"),
        CheckConstraint(
            "(leaf_count = 1 AND nodes IS NULL)"
            " OR (leaf_count > 1 AND length(nodes) = 32 * (2 * leaf_count - 1))",
            name="tree_nodes",
        ),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    issuer_address: Mapped[str] = mapped_column(ForeignKey("issuers.address"))
    # The root of the OpenZeppelin tree of the submission's leaves: what the issuer signed.
    # Unique: the leaves commit to their issuer, so one root is one issuer's submission.
    leaves_root: Mapped[bytes] = mapped_column(unique=True)
    signer: Mapped[str] = mapped_column(String(ADDRESS_LENGTH))
    signature: Mapped[bytes]
    leaf_count: Mapped[int]
    # The tree's node array (OpenZeppelin layout); NULL for one leaf, which is the root.
    nodes: Mapped[bytes | None]
    created_at: Mapped[dt.datetime]


_DOCUMENTS = Document.__table__.c
BY_LEAF: Final = and_(
    _DOCUMENTS.leaf_prefix == bindparam("leaf_prefix"), _DOCUMENTS.leaf == bindparam("leaf")
)
"""WHERE the document's leaf is :leaf, through its prefix index; parameters: `leaf_params`."""


def leaf_params(leaf: bytes) -> dict[str, object]:
    """The parameters of `BY_LEAF` for one leaf."""
    return {"leaf": leaf, "leaf_prefix": hash_prefix(leaf)}


_ANCHOR_OP = "kind = 'anchor'"
_UNFINISHED_OP = _in("state", UNFINISHED_OP_STATES)


class ChainOp(Base):
    """One chain transaction to make (the outbox): written with the change that needs it."""

    __tablename__ = "chain_ops"
    __table_args__ = (
        CheckConstraint(_in("kind", CHAIN_OP_KINDS), name="kind"),
        CheckConstraint(_in("state", CHAIN_OP_STATES), name="state"),
        CheckConstraint("kind <> 'anchor' OR batch_id IS NOT NULL", name="anchor_batch"),
        Index(
            "uq_chain_ops_anchor_batch",
            "batch_id",
            unique=True,
            sqlite_where=text(_ANCHOR_OP),
            postgresql_where=text(_ANCHOR_OP),
        ),
        Index(
            "ix_chain_ops_unfinished",
            "id",
            sqlite_where=text(_UNFINISHED_OP),
            postgresql_where=text(_UNFINISHED_OP),
        ),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("batches.id"))
    payload: Mapped[dict[str, Any]]
    state: Mapped[str] = mapped_column(String(10))
    nonce: Mapped[int | None] = mapped_column(BigInteger)
    raw_tx: Mapped[bytes | None]
    tx_hash: Mapped[bytes | None]
    gas: Mapped[int | None] = mapped_column(BigInteger)
    max_fee_per_gas: Mapped[int | None] = mapped_column(BigInteger)
    max_priority_fee_per_gas: Mapped[int | None] = mapped_column(BigInteger)
    attempts: Mapped[int] = mapped_column(server_default="0")
    last_error: Mapped[str | None] = mapped_column(Text)
    block_number: Mapped[int | None] = mapped_column(BigInteger)
    block_hash: Mapped[bytes | None]
    block_timestamp: Mapped[int | None] = mapped_column(BigInteger)
    gas_used: Mapped[int | None] = mapped_column(BigInteger)
    effective_gas_price: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]


IS_ANCHOR_OP: Final = text(f"chain_ops.{_ANCHOR_OP}")
"""WHERE the operation anchors a batch; IS_UNFINISHED_OP: it is not final or failed yet.

Both are the partial indexes' own conditions written into the SQL, never bound: SQLite
re-plans, on every execution, a statement whose bound parameter decides whether a
partial index applies, which made a verification's lookup several times slower.
"""
IS_UNFINISHED_OP: Final = text(f"chain_ops.{_UNFINISHED_OP}")


class Revocation(Base):
    """An issuer's request to revoke one leaf, and how far it got on chain."""

    __tablename__ = "revocations"
    __table_args__ = (
        CheckConstraint(_in("state", REVOCATION_STATES), name="state"),
        CheckConstraint("reason >= 0 AND reason <= 255", name="reason_range"),
        _len32("leaf"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    document_id: Mapped[int] = mapped_column(Id, ForeignKey("documents.id"), unique=True)
    leaf: Mapped[bytes] = mapped_column(unique=True)
    issuer_address: Mapped[str] = mapped_column(ForeignKey("issuers.address"))
    reason: Mapped[int]
    note: Mapped[str | None] = mapped_column(Text)
    requested_at: Mapped[dt.datetime]
    state: Mapped[str] = mapped_column(String(10), server_default="requested")
    chain_op_id: Mapped[int | None] = mapped_column(ForeignKey("chain_ops.id"), index=True)


class AuditEntry(Base):
    """Who did what to which subject, and when (append-only)."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(index=True)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str | None] = mapped_column(String(200))
    detail: Mapped[dict[str, Any] | None]


class Station(Base):
    """An automatic monitoring station of an issuer; its readings are sealed per interval."""

    __tablename__ = "stations"
    __table_args__ = (
        CheckConstraint(_in("kind", STATION_KINDS), name="kind"),
        CheckConstraint("interval_s > 0 AND grace_s >= 0", name="interval_positive"),
        CheckConstraint("sealed_until >= since", name="sealed_after_since"),
        Index("uq_stations_code_folded", "code_folded", unique=True),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    # The id lower-cased: no two stations' ids differ only in case. NULL only for a station
    # that already did when migration 0008 added it.
    code_folded: Mapped[str | None] = mapped_column(String(64))
    issuer_address: Mapped[str] = mapped_column(ForeignKey("issuers.address"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    location: Mapped[dict[str, Any]]
    # [{"name": "PM2.5", "unit": "µg/m³"}, ...]; fixed at creation, like the interval.
    parameters: Mapped[list[dict[str, str]]] = mapped_column(JSON)
    interval_s: Mapped[int]
    grace_s: Mapped[int]
    # Unix seconds: the first interval's start, and the end of the last sealed interval.
    since: Mapped[int] = mapped_column(BigInteger)
    sealed_until: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[dt.datetime]
    # Unix seconds: nothing of the station is sealed before (its back-fill window).
    backfill_until: Mapped[int] = mapped_column(BigInteger)


class StreamInterval(Base):
    """One sealed interval of a station: its root became the digest of one document, or,
    for a station of an issuer that signs, will once the issuer signs it (migration 0013:
    until then `document_id` is NULL and `awaiting_metadata` holds the salted metadata)."""

    __tablename__ = "stream_intervals"
    __table_args__ = (
        # The rule that an interval is sealed once, whatever crashes or races.
        Index("uq_stream_intervals_station_id_start_s", "station_id", "start_s", unique=True),
        Index(
            "ix_stream_intervals_awaiting",
            "station_id",
            "start_s",
            sqlite_where=text("document_id IS NULL"),
            postgresql_where=text("document_id IS NULL"),
        ),
        CheckConstraint(
            "(document_id IS NULL AND awaiting_metadata IS NOT NULL)"
            " OR (document_id IS NOT NULL AND awaiting_metadata IS NULL)",
            name="document_or_awaiting",
        ),
        CheckConstraint("end_s > start_s", name="end_after_start"),
        CheckConstraint(
            "reading_count >= 0 AND late_count >= 0 AND late_count <= reading_count",
            name="counts",
        ),
        _len32("root"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    station_id: Mapped[int] = mapped_column(Id, ForeignKey("stations.id"))
    start_s: Mapped[int] = mapped_column(BigInteger)
    end_s: Mapped[int] = mapped_column(BigInteger)
    reading_count: Mapped[int]
    late_count: Mapped[int]
    root: Mapped[bytes]
    document_id: Mapped[int | None] = mapped_column(Id, ForeignKey("documents.id"), unique=True)
    sealed_at: Mapped[dt.datetime]
    awaiting_metadata: Mapped[str | None] = mapped_column(Text)


class Reading(Base):
    """One reading of a station; `interval_id`: the interval it was sealed with (NULL: not yet)."""

    __tablename__ = "readings"
    __table_args__ = (
        # Unsealed readings of a station (interval_id NULL) for the sealer; an interval's
        # readings for exports and proofs.
        Index("ix_readings_interval_id_station_id", "interval_id", "station_id"),
        # No CHECK on quality: SQLite evaluating `quality IN (...)` was a large share of a
        # bulk insert; intake checks it against QUALITY_FLAGS by hand. The key is the
        # reading (a resent one is the same reading), and on SQLite the table is that
        # key's B-tree: no rowid and no second unique index to write.
        {"sqlite_with_rowid": False},
    )

    station_id: Mapped[int] = mapped_column(Id, ForeignKey("stations.id"), primary_key=True)
    parameter: Mapped[str] = mapped_column(String(32), primary_key=True)
    time_s: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    # Canonical decimal text (notary.core.streams.canonical_value): never a float.
    value: Mapped[str] = mapped_column(String(32))
    unit: Mapped[str] = mapped_column(String(32))
    quality: Mapped[str] = mapped_column(String(12))
    received_at: Mapped[dt.datetime]
    interval_id: Mapped[int | None] = mapped_column(Id, ForeignKey("stream_intervals.id"))


class WorkerLease(Base):
    """The anchoring worker's lease (one row, id 1): see `notary.pipeline.leader`."""

    __tablename__ = "worker_lease"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    holder: Mapped[str | None] = mapped_column(String(200))
    epoch: Mapped[int] = mapped_column(BigInteger)
    expires_at: Mapped[dt.datetime]
