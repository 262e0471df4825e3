"""documents: one unique index on (digest, dedup_key) instead of two indexes.

`uq_documents_dedup_key` (unique) and `ix_documents_digest` were two B-trees of random
keys updated on every accepted document. One unique index on (digest, dedup_key) serves
both lookups (by digest and issuer when verifying; by digest and dedup key when
accepting) and is as strict in practice: the dedup key is a SHA-256 over the issuer, the
digest and the unsalted metadata, so two rows with the same key have the same digest.
One index less to write makes bulk acceptance faster.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28

Frozen: nothing imported from notary.store.models.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MERGED = "uq_documents_digest_dedup_key"


def upgrade() -> None:
    with op.batch_alter_table("documents") as batch:
        batch.drop_constraint("uq_documents_dedup_key", type_="unique")
        batch.drop_index("ix_documents_digest")
        batch.create_index(MERGED, ["digest", "dedup_key"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("documents") as batch:
        batch.drop_index(MERGED)
        batch.create_index("ix_documents_digest", ["digest"])
        batch.create_unique_constraint("uq_documents_dedup_key", ["dedup_key"])
