"""chain_ops: two more kinds, an issuer's relayed changes of its signing keys.

- `add_signer` / `remove_signer`: the issuer's root key signed `AddSigner`/`RemoveSigner`
  and the service relays it as `addSignerBySig`/`removeSignerBySig` (payload: issuer, key,
  nonce, deadline, signature), so an agency needs no gas.

The kind's CHECK constraint is replaced; on SQLite that rebuilds the table, and the two
partial indexes are made again with their conditions.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07

Frozen: nothing imported from notary.store.models.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KIND = "ck_chain_ops_kind"
BEFORE = ("anchor", "revoke", "register_issuer", "deactivate_issuer")
AFTER = (*BEFORE, "add_signer", "remove_signer")
ANCHOR_OP = "kind = 'anchor'"
UNFINISHED_OP = "state IN ('queued', 'signed', 'broadcast', 'mined')"


def _kinds(kinds: Sequence[str]) -> str:
    return "kind IN (" + ", ".join(f"'{k}'" for k in kinds) + ")"


def _replace_kinds(kinds: Sequence[str]) -> None:
    with op.batch_alter_table("chain_ops") as batch:
        batch.drop_constraint(KIND, type_="check")
        batch.create_check_constraint(KIND, _kinds(kinds))
    if op.get_bind().dialect.name == "sqlite":  # rebuilt: its partial indexes lost their WHERE
        for name, columns, where, unique in (
            ("uq_chain_ops_anchor_batch", ["batch_id"], ANCHOR_OP, True),
            ("ix_chain_ops_unfinished", ["id"], UNFINISHED_OP, False),
        ):
            op.drop_index(name, table_name="chain_ops", if_exists=True)
            op.create_index(name, "chain_ops", columns, unique=unique, sqlite_where=sa.text(where))


def upgrade() -> None:
    _replace_kinds(AFTER)


def downgrade() -> None:
    op.execute("DELETE FROM chain_ops WHERE kind IN ('add_signer', 'remove_signer')")
    _replace_kinds(BEFORE)
