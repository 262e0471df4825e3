"""initial schema: issuers, API keys, documents, batches and their nodes, revocations,
the audit log and the chain-operation outbox.

Revision ID: 0001
Revises:
Create Date: 2026-11-25

Frozen: written out in full (nothing imported from notary.store.models) so that later
changes to the models never change what this revision does.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# INTEGER PRIMARY KEY is SQLite's rowid alias (no extra index); PostgreSQL gets 64 bits.
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TS = sa.DateTime(timezone=True)
ADDRESS = sa.String(length=42)
UNFINISHED = "state IN ('queued', 'signed', 'broadcast', 'mined')"


def _pk(table: str, *columns: str) -> sa.PrimaryKeyConstraint:
    return sa.PrimaryKeyConstraint(*columns or ("id",), name=f"pk_{table}")


def _check(table: str, name: str, sql: str) -> sa.CheckConstraint:
    return sa.CheckConstraint(sql, name=f"ck_{table}_{name}")


def _len32(table: str, column: str) -> sa.CheckConstraint:
    return _check(table, f"{column}_32_bytes", f"length({column}) = 32")


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    referred = target.split(".")[0]
    return sa.ForeignKeyConstraint([column], [target], name=f"fk_{table}_{column}_{referred}")


def _unique(table: str, column: str) -> sa.UniqueConstraint:
    return sa.UniqueConstraint(column, name=f"uq_{table}_{column}")


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("id", ID, nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=True),
        _pk("audit_log"),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"])

    op.create_table(
        "batches",
        sa.Column("id", ID, nullable=False),
        sa.Column("root", sa.LargeBinary(), nullable=True),
        sa.Column("leaf_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("sealed_at", TS, nullable=True),
        sa.Column("anchored_at", TS, nullable=True),
        _check("batches", "sealed_root", "state = 'open' OR (root IS NOT NULL AND leaf_count > 0)"),
        _check("batches", "state", "state IN ('open', 'sealed', 'anchoring', 'anchored', 'final')"),
        _len32("batches", "root"),
        _pk("batches"),
        _unique("batches", "root"),
    )

    op.create_table(
        "issuers",
        sa.Column("id", ID, nullable=False),
        sa.Column("address", ADDRESS, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("jurisdiction", sa.String(length=200), nullable=True),
        sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column(
            "onchain_state", sa.String(length=16), server_default="unregistered", nullable=False
        ),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("deactivated_at", TS, nullable=True),
        _check(
            "issuers",
            "onchain_state",
            "onchain_state IN ('unregistered', 'registering', 'registered', "
            "'deactivating', 'deactivated')",
        ),
        _check("issuers", "address_length", "length(address) = 42"),
        _pk("issuers"),
        _unique("issuers", "address"),
    )

    op.create_table(
        "api_keys",
        sa.Column("id", ID, nullable=False),
        sa.Column("issuer_id", ID, nullable=True),
        sa.Column("key_hash", sa.LargeBinary(), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("revoked_at", TS, nullable=True),
        _len32("api_keys", "key_hash"),
        _fk("api_keys", "issuer_id", "issuers.id"),
        _pk("api_keys"),
        _unique("api_keys", "key_hash"),
    )
    op.create_index("ix_api_keys_issuer_id", "api_keys", ["issuer_id"])

    op.create_table(
        "batch_nodes",
        sa.Column("batch_id", ID, nullable=False),
        sa.Column("chunk", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("nodes", sa.LargeBinary(), nullable=False),
        _fk("batch_nodes", "batch_id", "batches.id"),
        _pk("batch_nodes", "batch_id", "chunk"),
    )
    if op.get_bind().dialect.name == "postgresql":
        # Hashes do not compress and a chunk is small: PLAIN keeps each chunk in its heap
        # row (no TOAST lookup, no wasted pglz attempt), so a proof reads a few rows.
        op.execute("ALTER TABLE batch_nodes ALTER COLUMN nodes SET STORAGE PLAIN")

    op.create_table(
        "chain_ops",
        sa.Column("id", ID, nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("batch_id", ID, nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("nonce", sa.BigInteger(), nullable=True),
        sa.Column("raw_tx", sa.LargeBinary(), nullable=True),
        sa.Column("tx_hash", sa.LargeBinary(), nullable=True),
        sa.Column("gas", sa.BigInteger(), nullable=True),
        sa.Column("max_fee_per_gas", sa.BigInteger(), nullable=True),
        sa.Column("max_priority_fee_per_gas", sa.BigInteger(), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("block_number", sa.BigInteger(), nullable=True),
        sa.Column("block_hash", sa.LargeBinary(), nullable=True),
        sa.Column("block_timestamp", sa.BigInteger(), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        _check("chain_ops", "anchor_batch", "kind <> 'anchor' OR batch_id IS NOT NULL"),
        _check(
            "chain_ops",
            "kind",
            "kind IN ('anchor', 'revoke', 'register_issuer', 'deactivate_issuer')",
        ),
        _check(
            "chain_ops",
            "state",
            "state IN ('queued', 'signed', 'broadcast', 'mined', 'final', 'failed')",
        ),
        _fk("chain_ops", "batch_id", "batches.id"),
        _pk("chain_ops"),
    )
    op.create_index(
        "ix_chain_ops_unfinished",
        "chain_ops",
        ["id"],
        sqlite_where=sa.text(UNFINISHED),
        postgresql_where=sa.text(UNFINISHED),
    )
    op.create_index(
        "uq_chain_ops_anchor_batch",
        "chain_ops",
        ["batch_id"],
        unique=True,
        sqlite_where=sa.text("kind = 'anchor'"),
        postgresql_where=sa.text("kind = 'anchor'"),
    )

    op.create_table(
        "documents",
        sa.Column("id", ID, nullable=False),
        sa.Column("leaf", sa.LargeBinary(), nullable=False),
        sa.Column("digest", sa.LargeBinary(), nullable=False),
        sa.Column("issuer_address", ADDRESS, nullable=False),
        sa.Column("metadata_json", sa.Text(), nullable=True),
        sa.Column("metadata_digest", sa.LargeBinary(), nullable=False),
        sa.Column("dedup_key", sa.LargeBinary(), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("batch_id", ID, nullable=True),
        sa.Column("tree_index", sa.Integer(), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("anchored_at", TS, nullable=True),
        _check(
            "documents",
            "batch_placement",
            "(status = 'pending' AND batch_id IS NULL AND tree_index IS NULL)"
            " OR (status <> 'pending' AND batch_id IS NOT NULL AND tree_index IS NOT NULL)",
        ),
        _check("documents", "status", "status IN ('pending', 'sealed', 'anchored')"),
        _len32("documents", "dedup_key"),
        _len32("documents", "digest"),
        _len32("documents", "leaf"),
        _len32("documents", "metadata_digest"),
        _fk("documents", "batch_id", "batches.id"),
        _fk("documents", "issuer_address", "issuers.address"),
        _pk("documents"),
        _unique("documents", "dedup_key"),
        _unique("documents", "leaf"),
    )
    op.create_index("ix_documents_digest", "documents", ["digest"])
    op.create_index(
        "ix_documents_pending",
        "documents",
        ["id"],
        sqlite_where=sa.text("status = 'pending'"),
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_index(
        "uq_documents_batch_id_tree_index", "documents", ["batch_id", "tree_index"], unique=True
    )

    op.create_table(
        "revocations",
        sa.Column("id", ID, nullable=False),
        sa.Column("leaf", sa.LargeBinary(), nullable=False),
        sa.Column("issuer_address", ADDRESS, nullable=False),
        sa.Column("reason", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("requested_at", TS, nullable=False),
        sa.Column("state", sa.String(length=10), server_default="requested", nullable=False),
        sa.Column("chain_op_id", ID, nullable=True),
        _check("revocations", "state", "state IN ('requested', 'submitted', 'revoked', 'failed')"),
        _len32("revocations", "leaf"),
        _check("revocations", "reason_range", "reason >= 0 AND reason <= 255"),
        _fk("revocations", "chain_op_id", "chain_ops.id"),
        _fk("revocations", "issuer_address", "issuers.address"),
        _fk("revocations", "leaf", "documents.leaf"),
        _pk("revocations"),
        _unique("revocations", "leaf"),
    )
    op.create_index("ix_revocations_chain_op_id", "revocations", ["chain_op_id"])


def downgrade() -> None:
    for table in (
        "revocations",
        "documents",
        "chain_ops",
        "batch_nodes",
        "api_keys",
        "issuers",
        "batches",
        "audit_log",
    ):
        op.drop_table(table)  # drops the table's indexes with it
