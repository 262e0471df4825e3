"""chain_ops: the gas a mined operation used and the price it paid per gas.

`gas` is the limit the transaction was signed with, an upper bound; what it cost is in
its receipt (`gasUsed`, `effectiveGasPrice`), recorded when the operation is mined, so
that /metrics reports gas and fees actually spent.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26

Frozen: nothing imported from notary.store.models.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("chain_ops") as batch:
        batch.add_column(sa.Column("gas_used", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("effective_gas_price", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("chain_ops") as batch:
        batch.drop_column("effective_gas_price")
        batch.drop_column("gas_used")
