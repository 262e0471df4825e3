"""signed submissions: an issuer's EIP-712 signature over the leaves it submitted together.

- `submissions`: one row per signed submission: its issuer, `leaves_root` (the root of
  the OpenZeppelin tree of its leaves, what the issuer signed, unique: the leaves commit
  to their issuer), the key that signed (`signer`) and the 65-byte signature, the leaf
  count and, for more than one leaf, the tree's node array (OpenZeppelin layout, 32 bytes
  each) from which each document's path to `leaves_root` is read for its receipt.
- `documents.submission_id`: the signed submission a document came in (NULL: the
  service vouches for it, as before issuer keys).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-08

Frozen: nothing imported from notary.store.models.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "submissions",
        sa.Column("id", ID, nullable=False),
        sa.Column("issuer_address", sa.String(length=42), nullable=False),
        sa.Column("leaves_root", sa.LargeBinary(), nullable=False),
        sa.Column("signer", sa.String(length=42), nullable=False),
        sa.Column("signature", sa.LargeBinary(), nullable=False),
        sa.Column("leaf_count", sa.Integer(), nullable=False),
        sa.Column("nodes", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.CheckConstraint("length(leaves_root) = 32", name="ck_submissions_leaves_root_32_bytes"),
        sa.CheckConstraint("length(signature) = 65", name="ck_submissions_signature_65_bytes"),
        sa.CheckConstraint(
            "(leaf_count = 1 AND nodes IS NULL)"
            " OR (leaf_count > 1 AND length(nodes) = 32 * (2 * leaf_count - 1))",
            name="ck_submissions_tree_nodes",
        ),
        sa.ForeignKeyConstraint(
            ["issuer_address"], ["issuers.address"], name="fk_submissions_issuer_address_issuers"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_submissions"),
        sa.UniqueConstraint("leaves_root", name="uq_submissions_leaves_root"),
    )
    if op.get_bind().dialect.name == "postgresql":
        # Hashes do not compress: kept out of line as they are, not through pglz.
        op.execute("ALTER TABLE submissions ALTER COLUMN nodes SET STORAGE EXTERNAL")
    # A plain ADD COLUMN on both backends, so a large documents table is not copied (SQLite
    # takes a REFERENCES clause on a column added NULL; alembic would rebuild the table).
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "ALTER TABLE documents ADD COLUMN submission_id INTEGER"
            " CONSTRAINT fk_documents_submission_id_submissions REFERENCES submissions (id)"
        )
    else:
        op.add_column("documents", sa.Column("submission_id", ID, nullable=True))
        op.create_foreign_key(
            "fk_documents_submission_id_submissions",
            "documents",
            "submissions",
            ["submission_id"],
            ["id"],
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        with op.batch_alter_table("documents") as batch:  # the copy leaves the column out
            batch.drop_column("submission_id")
    else:
        op.drop_constraint("fk_documents_submission_id_submissions", "documents")
        op.drop_column("documents", "submission_id")
    op.drop_table("submissions")
