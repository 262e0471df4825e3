"""stations: a back-fill window, until which none of a station's intervals is sealed.

- `stations.backfill_until` (Unix seconds): a station registered with its first interval
  in the past keeps its intervals open until then for its history, instead of sealing its
  past empty at once (which made every reading of that history late). Existing stations
  get their `since`: nothing of theirs is held.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07

Frozen: nothing imported from notary.store.models.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("stations") as batch:
        batch.add_column(sa.Column("backfill_until", sa.BigInteger(), nullable=True))
    op.execute("UPDATE stations SET backfill_until = since")
    with op.batch_alter_table("stations") as batch:
        batch.alter_column("backfill_until", existing_type=sa.BigInteger(), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("stations") as batch:
        batch.drop_column("backfill_until")
