"""What the API and the metrics read from the store: batches with their anchors, the
oldest seal not yet final, batch sizes, operation totals, issuers and who holds a key."""

from __future__ import annotations

import datetime as dt
import os

from notary.core.types import Digest
from notary.pipeline.accept import DocumentInput, accept_many
from notary.pipeline.batcher import seal_due_batches
from notary.store import chain_ops
from notary.store.batches import batch_sizes, batch_with_anchor, oldest_unfinal_seal
from notary.store.engine import Store
from notary.store.issuers import (
    all_issuers,
    api_key_of,
    api_keys_of,
    create_api_key,
    create_issuer,
    get_issuer,
    hash_api_key,
    key_holder,
    revoke_api_key,
)

from .conftest import ISSUER

T0 = dt.datetime(2025, 6, 1, 8, 0, tzinfo=dt.UTC)


def _seal(store: Store, count: int, at: dt.datetime) -> int:
    docs = [DocumentInput(Digest(os.urandom(32))) for _ in range(count)]
    accept_many(store, ISSUER, docs, now=at)
    (batch,) = seal_due_batches(store, now=at + dt.timedelta(minutes=1), batch_max=count)
    return batch.id


def test_batches_read_with_their_anchor_sizes_and_oldest_seal(store: Store) -> None:
    with store.read() as conn:
        assert oldest_unfinal_seal(conn) is None
        assert batch_sizes(conn, (1, 10)) == ([0, 0], 0, 0)
        assert batch_with_anchor(conn, 1) is None
    first = _seal(store, 3, T0)
    _seal(store, 12, T0 + dt.timedelta(hours=1))
    with store.read() as conn:
        row = batch_with_anchor(conn, first)
        assert row is not None and row["leaf_count"] == 3 and row["root"] is not None
        assert row["op_state"] == "queued" and row["block_hash"] is None
        assert batch_sizes(conn, (1, 10, 100)) == ([0, 1, 2], 2, 15)
        oldest = oldest_unfinal_seal(conn)
        totals = chain_ops.totals(conn)
    assert oldest is not None and oldest.replace(tzinfo=dt.UTC) <= dt.datetime.now(dt.UTC)
    assert [(t.kind, t.state, t.operations, t.gas_used, t.fees_wei) for t in totals] == [
        ("anchor", "queued", 2, 0, 0)
    ]


def test_issuers_keys_and_the_holder_of_a_key(store: Store) -> None:
    with store.write() as conn:
        issuer = get_issuer(conn, ISSUER)
        assert issuer is not None
        other = create_issuer(conn, "0x" + "6b" * 20, "Chi cục Kiểm dịch thực vật")
        first, second = create_api_key(conn, issuer.id), create_api_key(conn, issuer.id)
        admin = create_api_key(conn, None)
        revoke_api_key(conn, first.id)
    with store.read() as conn:
        assert [r["address"] for r in all_issuers(conn)] == [ISSUER, other.address]
        keys = api_keys_of(conn, issuer.id)
        assert [k["id"] for k in keys] == [first.id, second.id]
        assert keys[0]["revoked_at"] is not None and keys[1]["revoked_at"] is None
        assert api_key_of(conn, issuer.id, second.id) is not None
        assert api_key_of(conn, other.id, second.id) is None  # not that issuer's key
        assert key_holder(conn, hash_api_key(first.secret)) is None  # revoked
        holder = key_holder(conn, hash_api_key(second.secret))
        assert holder == (second.id, issuer.id, ISSUER, issuer.name)
        assert key_holder(conn, hash_api_key(admin.secret)) == (admin.id, None, None, None)
        assert key_holder(conn, hash_api_key("nty_unknown")) is None
