"""monitoring streams: stations, their readings and the intervals sealed from them.

- `stations`: an issuer's automatic monitoring station (ambient air, water, stack
  emission) with its parameters and units, its interval length and grace, and how far its
  intervals are sealed (`sealed_until`, Unix seconds).
- `readings`: keyed by (station, parameter, time), so a resent reading is the same one
  (on SQLite WITHOUT ROWID: the table is that key's B-tree; no CHECK on quality, which
  intake validates, at a fraction of what SQLite's check cost a bulk insert);
  `interval_id` is NULL until the reading is sealed, then the interval it went into.
- `stream_intervals`: one row per sealed interval, unique by (station, start): an interval
  is never sealed twice. Its root is the digest of the document (`document_id`) that the
  ordinary batches anchor.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27

Frozen: nothing imported from notary.store.models.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "stations",
        sa.Column("id", ID, nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("issuer_address", sa.String(length=42), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("location", sa.JSON(), nullable=False),
        sa.Column("parameters", sa.JSON(), nullable=False),
        sa.Column("interval_s", sa.Integer(), nullable=False),
        sa.Column("grace_s", sa.Integer(), nullable=False),
        sa.Column("since", sa.BigInteger(), nullable=False),
        sa.Column("sealed_until", sa.BigInteger(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.CheckConstraint(
            "kind IN ('ambient-air', 'water', 'stack-emission')", name="ck_stations_kind"
        ),
        sa.CheckConstraint("interval_s > 0 AND grace_s >= 0", name="ck_stations_interval_positive"),
        sa.CheckConstraint("sealed_until >= since", name="ck_stations_sealed_after_since"),
        sa.ForeignKeyConstraint(
            ["issuer_address"], ["issuers.address"], name="fk_stations_issuer_address_issuers"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_stations"),
        sa.UniqueConstraint("code", name="uq_stations_code"),
    )
    op.create_index("ix_stations_issuer_address", "stations", ["issuer_address"])

    op.create_table(
        "stream_intervals",
        sa.Column("id", ID, nullable=False),
        sa.Column("station_id", ID, nullable=False),
        sa.Column("start_s", sa.BigInteger(), nullable=False),
        sa.Column("end_s", sa.BigInteger(), nullable=False),
        sa.Column("reading_count", sa.Integer(), nullable=False),
        sa.Column("late_count", sa.Integer(), nullable=False),
        sa.Column("root", sa.LargeBinary(), nullable=False),
        sa.Column("document_id", ID, nullable=False),
        sa.Column("sealed_at", TS, nullable=False),
        sa.CheckConstraint("end_s > start_s", name="ck_stream_intervals_end_after_start"),
        sa.CheckConstraint(
            "reading_count >= 0 AND late_count >= 0 AND late_count <= reading_count",
            name="ck_stream_intervals_counts",
        ),
        sa.CheckConstraint("length(root) = 32", name="ck_stream_intervals_root_32_bytes"),
        sa.ForeignKeyConstraint(
            ["station_id"], ["stations.id"], name="fk_stream_intervals_station_id_stations"
        ),
        sa.ForeignKeyConstraint(
            ["document_id"], ["documents.id"], name="fk_stream_intervals_document_id_documents"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_stream_intervals"),
        sa.UniqueConstraint("document_id", name="uq_stream_intervals_document_id"),
    )
    op.create_index(
        "uq_stream_intervals_station_id_start_s",
        "stream_intervals",
        ["station_id", "start_s"],
        unique=True,
    )

    op.create_table(
        "readings",
        sa.Column("station_id", ID, nullable=False),
        sa.Column("parameter", sa.String(length=32), nullable=False),
        sa.Column("time_s", sa.BigInteger(), nullable=False),
        sa.Column("value", sa.String(length=32), nullable=False),
        sa.Column("unit", sa.String(length=32), nullable=False),
        sa.Column("quality", sa.String(length=12), nullable=False),
        sa.Column("received_at", TS, nullable=False),
        sa.Column("interval_id", ID, nullable=True),
        sa.ForeignKeyConstraint(
            ["station_id"], ["stations.id"], name="fk_readings_station_id_stations"
        ),
        sa.ForeignKeyConstraint(
            ["interval_id"],
            ["stream_intervals.id"],
            name="fk_readings_interval_id_stream_intervals",
        ),
        sa.PrimaryKeyConstraint("station_id", "parameter", "time_s", name="pk_readings"),
        sqlite_with_rowid=False,  # the key's own B-tree, no second index to fill
    )
    op.create_index("ix_readings_interval_id_station_id", "readings", ["interval_id", "station_id"])


def downgrade() -> None:
    for table in ("readings", "stream_intervals", "stations"):
        op.drop_table(table)  # drops the table's indexes with it
