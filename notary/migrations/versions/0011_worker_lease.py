"""worker_lease: the anchoring worker's lease, with the epoch that fences deposed leaders.

- `worker_lease`: one row (id 1). `epoch` grows by one each time a worker takes the lease;
  `holder` names that worker; `expires_at` is on the database's clock, renewed by the
  holder. See `notary.pipeline.leader` for the rule it enforces.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-09

Frozen: nothing imported from notary.store.models.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "worker_lease",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("holder", sa.String(200), nullable=True),
        sa.Column("epoch", sa.BigInteger(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.execute(
        "INSERT INTO worker_lease (id, holder, epoch, expires_at)"
        " VALUES (1, NULL, 0, CURRENT_TIMESTAMP)"
    )


def downgrade() -> None:
    op.drop_table("worker_lease")
