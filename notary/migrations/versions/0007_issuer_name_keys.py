"""issuer name keys and failed registrations.

- `issuers.name_skeleton` and `issuers.name_folded`: SHA-256 of the name's TR39 skeleton as
  it is and case-folded (`notary.core.identity.name_keys`), each under a unique index, so
  that no two issuers read the same, even when two registrations race.
- `issuers.onchain_state` may be `failed` (the chain refused the registration), with the
  chain's reason in `issuers.onchain_error`.

Existing issuers get their keys here. Where earlier rows already read the same, the first
registered (lowest id) keeps the key and the later one gets NULL for it: nothing is renamed
or deactivated by a migration (that would change what verifiers see, and deactivation is
final on chain); each such pair is logged and written to the audit log
(`name_confusable`) for an administrator to settle.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07

Frozen except for `name_keys`, which is what the new rows are keyed by.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from notary.core.identity import name_keys

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

log = logging.getLogger("notary.migrations")
ONCHAIN_STATE = "ck_issuers_onchain_state"
STATES = "'unregistered', 'registering', 'registered', 'deactivating', 'deactivated'"
KEYS = ("name_skeleton", "name_folded")


def upgrade() -> None:
    with op.batch_alter_table("issuers") as batch:
        for key in KEYS:
            batch.add_column(sa.Column(key, sa.LargeBinary(), nullable=True))
            batch.create_check_constraint(f"ck_issuers_{key}_32_bytes", f"length({key}) = 32")
        batch.add_column(sa.Column("onchain_error", sa.String(length=1000), nullable=True))
        batch.drop_constraint(ONCHAIN_STATE, type_="check")
        batch.create_check_constraint(ONCHAIN_STATE, f"onchain_state IN ({STATES}, 'failed')")
    _backfill(op.get_bind())
    for key in KEYS:
        op.create_index(f"ix_issuers_{key}", "issuers", [key], unique=True)


def downgrade() -> None:
    for key in KEYS:
        op.drop_index(f"ix_issuers_{key}", table_name="issuers")
    op.execute("UPDATE issuers SET onchain_state = 'unregistered' WHERE onchain_state = 'failed'")
    with op.batch_alter_table("issuers") as batch:
        batch.drop_constraint(ONCHAIN_STATE, type_="check")
        batch.create_check_constraint(ONCHAIN_STATE, f"onchain_state IN ({STATES})")
        batch.drop_column("onchain_error")
        for key in KEYS:
            batch.drop_constraint(f"ck_issuers_{key}_32_bytes", type_="check")
            batch.drop_column(key)


def _backfill(conn: sa.Connection) -> None:
    """Key every issuer; a later issuer that reads as an earlier one gets NULL for that key."""
    rows = conn.execute(sa.text("SELECT id, address, name FROM issuers ORDER BY id")).all()
    owners: dict[tuple[str, bytes], str] = {}
    now = dt.datetime.now(dt.UTC)
    for issuer_id, address, name in rows:
        keys = dict(zip(KEYS, name_keys(name), strict=True))
        values: dict[str, bytes | None] = {}
        for column, key in keys.items():
            first = owners.setdefault((column, key), address)
            values[column] = key if first == address else None
            if first != address:
                log.warning(
                    "issuer %s reads the same as issuer %s (%s): left without that key; "
                    "deactivate one of them or register it again under another name",
                    address,
                    first,
                    column,
                )
                conn.execute(
                    sa.text(
                        "INSERT INTO audit_log (at, actor, action, subject, detail)"
                        " VALUES (:at, 'migration 0007', 'name_confusable', :subject, :detail)"
                    ).bindparams(
                        sa.bindparam("at", type_=sa.DateTime(timezone=True)),
                        sa.bindparam("detail", type_=sa.JSON()),
                    ),
                    {"at": now, "subject": address, "detail": {"with": first, "key": column}},
                )
        conn.execute(
            sa.text(
                "UPDATE issuers SET name_skeleton = :name_skeleton, name_folded = :name_folded"
                " WHERE id = :id"
            ),
            {"id": issuer_id, **values},
        )
