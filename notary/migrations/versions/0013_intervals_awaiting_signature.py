"""stream_intervals: an interval of a signing issuer's station waits for the issuer's signature.

- `document_id` may be NULL: the interval is sealed (its readings claimed, its root and
  counts fixed) but its document is not accepted yet, because the station's issuer signs
  its documents and the service cannot sign for it ("awaiting signature").
- `awaiting_metadata`: the interval document's canonical metadata (RFC 8785, with the
  salt the service drew) while it awaits the signature: with the root and the issuer it
  fixes the leaf the issuer signs. NULL once the document is accepted (it holds it).
- exactly one of the two is set (CHECK), and a partial index holds the awaiting intervals
  of each station in order, for the issuer's list and the counts.

On SQLite the column's NOT NULL goes through a table rebuild (its indexes are made again).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07

Frozen: nothing imported from notary.store.models.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
CHECK = "ck_stream_intervals_document_or_awaiting"
AWAITING = "ix_stream_intervals_awaiting"
AWAITING_WHERE = "document_id IS NULL"


def upgrade() -> None:
    with op.batch_alter_table("stream_intervals") as batch:
        batch.alter_column("document_id", existing_type=ID, nullable=True)
        batch.add_column(sa.Column("awaiting_metadata", sa.Text(), nullable=True))
        batch.create_check_constraint(
            CHECK,
            "(document_id IS NULL AND awaiting_metadata IS NOT NULL)"
            " OR (document_id IS NOT NULL AND awaiting_metadata IS NULL)",
        )
    op.create_index(
        AWAITING,
        "stream_intervals",
        ["station_id", "start_s"],
        sqlite_where=sa.text(AWAITING_WHERE),
        postgresql_where=sa.text(AWAITING_WHERE),
    )


def downgrade() -> None:
    # An interval without its document has no place in the old schema, and unsealing it
    # could clash with later intervals of its station that were signed: refuse instead.
    waiting = (
        op.get_bind()
        .exec_driver_sql("SELECT count(*) FROM stream_intervals WHERE document_id IS NULL")
        .scalar_one()
    )
    if waiting:
        raise RuntimeError(
            f"{waiting} intervals await their issuer's signature: have them signed "
            "(notary stream sign) before downgrading below 0013"
        )
    op.drop_index(AWAITING, table_name="stream_intervals")
    with op.batch_alter_table("stream_intervals") as batch:
        batch.drop_constraint(CHECK, type_="check")
        batch.drop_column("awaiting_metadata")
        batch.alter_column("document_id", existing_type=ID, nullable=False)
