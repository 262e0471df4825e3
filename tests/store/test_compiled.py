"""A SELECT run on the driver's cursor gives what Connection.execute gives, errors included."""

from __future__ import annotations

import datetime as dt
import os

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

from notary.core.types import Digest
from notary.pipeline.accept import DocumentInput, accept_many
from notary.pipeline.batcher import seal_due_batches
from notary.pipeline.effects import Inclusion
from notary.pipeline.ledger import StoreLedger
from notary.pipeline.receipts import _CANDIDATES, candidates_in
from notary.store.engine import Store
from notary.store.models import hash_prefix

from .conftest import ISSUER

LATER = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)


def _params(digest: Digest) -> dict[str, object]:
    return {"digest": digest.raw, "digest_prefix": hash_prefix(digest.raw), "issuer": ISSUER}


def test_rows_match_sqlalchemys_in_every_state(store: Store) -> None:
    shared = Digest(os.urandom(32))  # one digest notarised three times: bare and with metadata
    sealed = [DocumentInput(shared), DocumentInput(shared, {"lot": 1})]
    accept_many(store, ISSUER, sealed)
    (batch,) = seal_due_batches(store, now=LATER)
    StoreLedger(store).record_final(
        batch.chain_op_id, Inclusion(7, b"\x01" * 32, b"\x02" * 32, 1_750_000_000)
    )
    accept_many(store, ISSUER, [DocumentInput(shared, {"lot": 2, "name": "Hà Nội"})])
    lone = Digest(os.urandom(32))
    accept_many(store, ISSUER, [DocumentInput(lone)])
    for digest, count in ((shared, 3), (lone, 1), (Digest(os.urandom(32)), 0)):
        with store.lookup() as conn:
            ours = candidates_in(conn, [(digest, ISSUER)])[0]
            theirs = [dict(r) for r in conn.execute(_CANDIDATES, _params(digest)).mappings()]
        assert len(ours) == count
        assert ours == theirs
    asks = [(shared, ISSUER), (Digest(os.urandom(32)), ISSUER), (lone, ISSUER), (shared, ISSUER)]
    with store.lookup() as conn:
        together = candidates_in(conn, asks)  # pipelined on PostgreSQL
        one_by_one = [candidates_in(conn, [ask])[0] for ask in asks]
    assert together == one_by_one and [len(rows) for rows in together] == [3, 0, 1, 3]
    rows = together[0]
    assert [r["op_state"] for r in rows] == ["final", "final", None]
    assert rows[0]["created_at"].tzinfo is not None and isinstance(rows[0]["leaf"], bytes)


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)  # SQLite's can't be lost
@pytest.mark.parametrize("asks", [1, 3])  # 3: in a pipeline
def test_a_lost_connection_is_sqlalchemys_error_and_the_pool_recovers(
    store: Store, asks: int
) -> None:
    digest = Digest(os.urandom(32))
    accept_many(store, ISSUER, [DocumentInput(digest)])
    with store.lookup() as conn:
        assert len(candidates_in(conn, [(digest, ISSUER)])[0]) == 1
    admin = create_engine(store.engine.url)  # not from the pool whose connections we end
    with admin.connect() as conn:
        conn.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        )
    admin.dispose()
    with pytest.raises(DBAPIError) as failure, store.lookup() as conn:
        candidates_in(conn, [(digest, ISSUER)] * asks)
    assert failure.value.connection_invalidated
    with store.lookup() as conn:
        assert len(candidates_in(conn, [(digest, ISSUER)])[0]) == 1
