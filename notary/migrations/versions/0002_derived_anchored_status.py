"""documents: "anchored" is derived from the batch; drop documents.anchored_at and the
partial index of pending documents.

Finalising a batch used to update every one of its documents (a million row updates for
a million-document batch). A sealed document now reads as anchored when its batch is
final, with the batch's anchored_at, so the stored status is only pending or sealed.

The partial index `ix_documents_pending` is dropped too: the unique (batch_id, tree_index)
index already holds pending documents as its (NULL, NULL) entries in id order, and
maintaining both made sealing a million documents twice as slow (measured).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27

Frozen: nothing imported from notary.store.models.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATUS = "ck_documents_status"


PENDING = "status = 'pending'"


def upgrade() -> None:
    op.drop_index("ix_documents_pending", table_name="documents")
    op.execute("UPDATE documents SET status = 'sealed' WHERE status = 'anchored'")
    with op.batch_alter_table("documents") as batch:
        batch.drop_constraint(STATUS, type_="check")
        batch.create_check_constraint(STATUS, "status IN ('pending', 'sealed')")
        batch.drop_column("anchored_at")


def downgrade() -> None:
    op.create_index(
        "ix_documents_pending",
        "documents",
        ["id"],
        sqlite_where=sa.text(PENDING),
        postgresql_where=sa.text(PENDING),
    )
    with op.batch_alter_table("documents") as batch:
        batch.add_column(sa.Column("anchored_at", sa.DateTime(timezone=True), nullable=True))
        batch.drop_constraint(STATUS, type_="check")
        batch.create_check_constraint(STATUS, "status IN ('pending', 'sealed', 'anchored')")
    op.execute(
        "UPDATE documents SET status = 'anchored',"
        " anchored_at = (SELECT b.anchored_at FROM batches AS b WHERE b.id = documents.batch_id)"
        " WHERE batch_id IN (SELECT id FROM batches WHERE state = 'final')"
    )
