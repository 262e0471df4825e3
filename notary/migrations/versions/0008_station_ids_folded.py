"""station ids unique whatever their case.

- `stations.code_folded`: the station id lower-cased, under a unique index, so that no
  two stations (of any issuers) have ids that differ only in case (`st-a1`, `ST-A1`), even
  when two registrations race. Ids are ASCII, so lower-casing is the whole folding.

Existing stations get their key here. Where earlier stations' ids already differ only in
case, the first registered (lowest id) keeps the key and the later one gets NULL: nothing
is renamed (ids are in anchored interval documents); each such pair is logged and written
to the audit log (`station_id_confusable`) for an administrator to settle.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07

Frozen: nothing imported from notary.store.models.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

log = logging.getLogger("notary.migrations")
INDEX = "uq_stations_code_folded"


def upgrade() -> None:
    with op.batch_alter_table("stations") as batch:
        batch.add_column(sa.Column("code_folded", sa.String(length=64), nullable=True))
    _backfill(op.get_bind())
    op.create_index(INDEX, "stations", ["code_folded"], unique=True)


def downgrade() -> None:
    op.drop_index(INDEX, table_name="stations")
    with op.batch_alter_table("stations") as batch:
        batch.drop_column("code_folded")


def _backfill(conn: sa.Connection) -> None:
    """Key every station; a later one whose id differs only in case gets NULL."""
    holders: dict[str, str] = {}
    now = dt.datetime.now(dt.UTC)
    for station_id, code in conn.execute(sa.text("SELECT id, code FROM stations ORDER BY id")):
        folded = code.lower()
        first = holders.setdefault(folded, code)
        if first != code:
            log.warning(
                "station %s differs from station %s only in case: left without the key",
                code,
                first,
            )
            conn.execute(
                sa.text(
                    "INSERT INTO audit_log (at, actor, action, subject, detail)"
                    " VALUES (:at, 'migration 0008', 'station_id_confusable', :subject, :detail)"
                ).bindparams(
                    sa.bindparam("at", type_=sa.DateTime(timezone=True)),
                    sa.bindparam("detail", type_=sa.JSON()),
                ),
                {"at": now, "subject": code, "detail": {"with": first}},
            )
            continue
        conn.execute(
            sa.text("UPDATE stations SET code_folded = :folded WHERE id = :id"),
            {"id": station_id, "folded": folded},
        )
