"""Hot queries that join or filter on a partial index's column keep SQLite's plan stable.

SQLite re-plans a prepared statement on every execution when a bound parameter decides
whether a partial index applies; for the verification lookup (five tables) that cost
40 µs of its 51. So those conditions are written into the SQL, and the plans use the
partial indexes.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Select

from notary.pipeline.receipts import _CANDIDATES, _LOAD
from notary.store.chain_ops import UNFINISHED
from notary.store.engine import open_store
from notary.store.migrate import upgrade

QUERIES: dict[str, tuple[Select[tuple[object, ...]], str, str]] = {
    "verification by digest": (
        _CANDIDATES,
        "chain_ops.kind = 'anchor'",
        "uq_chain_ops_anchor_batch",
    ),
    "document by leaf": (_LOAD, "chain_ops.kind = 'anchor'", "uq_chain_ops_anchor_batch"),
    "unfinished operations": (
        UNFINISHED,
        "chain_ops.state IN ('queued', 'signed', 'broadcast', 'mined')",
        "ix_chain_ops_unfinished",
    ),
}


@pytest.mark.parametrize("name", QUERIES)
def test_partial_index_conditions_are_literal_and_used(tmp_path: Path, name: str) -> None:
    query, condition, index = QUERIES[name]
    url = f"sqlite:///{tmp_path / 'notary.db'}"
    upgrade(url)
    store = open_store(url)
    try:
        with store.read() as conn:
            compiled = query.compile(dialect=conn.dialect)
            sql = str(compiled)
            assert condition in sql
            params = [compiled.params.get(k) for k in compiled.positiontup or ()]
            plan = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", tuple(params)).all()
        assert any(index in row[3] for row in plan), plan
    finally:
        store.dispose()
