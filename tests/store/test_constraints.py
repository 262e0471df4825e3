"""Every documented constraint holds in the database itself, on both backends."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import Connection, insert, select, update
from sqlalchemy.exc import IntegrityError

from notary.core.types import Digest
from notary.pipeline.accept import accept
from notary.pipeline.batcher import seal_due_batches
from notary.store import chain_ops
from notary.store.engine import Store
from notary.store.issuers import audit, create_api_key, find_api_key, get_issuer, revoke_api_key
from notary.store.models import Batch, ChainOp, Document, Issuer, Revocation, hash_prefix

from .conftest import ISSUER

NOW = dt.datetime(2025, 6, 1, tzinfo=dt.UTC)
LATER = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)


def _doc(**over: Any) -> dict[str, Any]:
    leaf, digest = over.get("leaf", os.urandom(32)), over.get("digest", os.urandom(32))
    row = {
        "leaf": leaf,
        "leaf_prefix": hash_prefix(leaf.ljust(8)),
        "digest": digest,
        "digest_prefix": hash_prefix(digest.ljust(8)),
        "issuer_address": ISSUER,
        "metadata_json": None,
        "metadata_digest": bytes(32),
        "dedup_key": os.urandom(16),
        "status": "pending",
        "created_at": NOW,
    }
    return row | over


def _batch(**over: Any) -> dict[str, Any]:
    return {"root": os.urandom(32), "leaf_count": 1, "state": "sealed", "created_at": NOW} | over


def _op(**over: Any) -> dict[str, Any]:
    return {
        "kind": "revoke",
        "payload": {},
        "state": "queued",
        "created_at": NOW,
        "updated_at": NOW,
    } | over


def _rejects(store: Store, write: Callable[[Connection], object]) -> None:
    with pytest.raises(IntegrityError), store.write() as conn:
        write(conn)


def test_document_constraints(store: Store) -> None:
    existing = _doc()
    with store.write() as conn:
        conn.execute(insert(Document), existing)
    same_key = {"digest": existing["digest"], "dedup_key": existing["dedup_key"]}
    _rejects(store, lambda c: c.execute(insert(Document), _doc(**same_key)))
    # The digest prefix and the dedup key are the unique pair, whatever the rest is.
    prefix_twin = bytes(existing["digest"][:8]) + os.urandom(24)
    twin = {"digest": prefix_twin, "dedup_key": existing["dedup_key"]}
    _rejects(store, lambda c: c.execute(insert(Document), _doc(**twin)))
    _rejects(store, lambda c: c.execute(insert(Document), _doc(status="lost")))
    _rejects(store, lambda c: c.execute(insert(Document), _doc(leaf=b"short")))
    _rejects(store, lambda c: c.execute(insert(Document), _doc(digest=bytes(33))))
    _rejects(store, lambda c: c.execute(insert(Document), _doc(dedup_key=bytes(32))))
    _rejects(store, lambda c: c.execute(insert(Document), _doc(issuer_address="0x" + "12" * 20)))
    # pending ⇔ no batch, no position
    _rejects(store, lambda c: c.execute(insert(Document), _doc(tree_index=3)))
    _rejects(store, lambda c: c.execute(insert(Document), _doc(status="sealed")))


def test_batch_and_position_constraints(store: Store) -> None:
    for i in range(2):
        accept(store, ISSUER, Digest(os.urandom(32)), {"documentNumber": str(i)})
    (batch,) = seal_due_batches(store, now=LATER)
    _rejects(store, lambda c: c.execute(insert(Batch), _batch(root=batch.root.raw)))
    _rejects(store, lambda c: c.execute(insert(Batch), _batch(state="lost")))
    _rejects(store, lambda c: c.execute(insert(Batch), _batch(root=None)))
    _rejects(store, lambda c: c.execute(insert(Batch), _batch(leaf_count=0)))
    # two documents cannot share a tree position in one batch
    _rejects(store, lambda c: c.execute(update(Document).values(tree_index=1)))
    _rejects(store, lambda c: c.execute(update(Document).values(batch_id=batch.id + 99)))


def test_chain_op_constraints(store: Store) -> None:
    accept(store, ISSUER, Digest(os.urandom(32)))
    (batch,) = seal_due_batches(store, now=LATER)
    _rejects(store, lambda c: c.execute(insert(ChainOp), _op(kind="mint")))
    _rejects(store, lambda c: c.execute(insert(ChainOp), _op(state="lost")))
    _rejects(store, lambda c: c.execute(insert(ChainOp), _op(kind="anchor")))  # needs a batch
    # one anchor operation per batch
    _rejects(store, lambda c: c.execute(insert(ChainOp), _op(kind="anchor", batch_id=batch.id)))


def test_issuer_and_revocation_constraints(store: Store) -> None:
    leaf = accept(store, ISSUER, Digest(os.urandom(32))).record.leaf.raw
    issuer = {"address": ISSUER, "name": "again", "created_at": NOW}
    _rejects(store, lambda c: c.execute(insert(Issuer), issuer))
    _rejects(store, lambda c: c.execute(insert(Issuer), issuer | {"address": "0xabc"}))
    with store.read() as conn:
        document_id = conn.execute(select(Document.id).where(Document.leaf == leaf)).scalar_one()
    revocation = {
        "document_id": document_id,
        "leaf": leaf,
        "issuer_address": ISSUER,
        "reason": 1,
        "requested_at": NOW,
    }
    with store.write() as conn:
        conn.execute(insert(Revocation), revocation)
    _rejects(store, lambda c: c.execute(insert(Revocation), revocation))  # once per leaf
    # once per document, and only of a stored document
    _rejects(store, lambda c: c.execute(insert(Revocation), revocation | {"leaf": os.urandom(32)}))
    orphan = {"document_id": document_id + 1, "leaf": os.urandom(32)}
    _rejects(store, lambda c: c.execute(insert(Revocation), revocation | orphan))
    _rejects(store, lambda c: c.execute(update(Revocation).values(reason=256)))
    _rejects(store, lambda c: c.execute(update(Revocation).values(state="lost")))


def test_api_keys_are_stored_hashed_and_can_be_revoked(store: Store) -> None:
    with store.write() as conn:
        issuer = get_issuer(conn, ISSUER.lower())
        assert issuer is not None and issuer.active and issuer.onchain_state == "unregistered"
        key = create_api_key(conn, issuer.id)
        audit(conn, "admin", "api_key.create", subject=ISSUER, detail={"prefix": key.prefix})
    assert key.secret.startswith(key.prefix)
    with store.write() as conn:
        found = find_api_key(conn, key.secret)
        assert found is not None and found.issuer_id == issuer.id
        assert key.secret.encode() not in found.key_hash
        assert find_api_key(conn, key.secret + "x") is None
        assert revoke_api_key(conn, key.id)
        assert find_api_key(conn, key.secret) is None


def test_chain_op_repository(store: Store) -> None:
    with store.write() as conn:
        a = chain_ops.enqueue(conn, "register_issuer", {"address": ISSUER, "name": "x"})
        b = chain_ops.enqueue(conn, "revoke", {"leaves": [], "issuer": ISSUER, "reason": 1})
    with store.write() as conn:
        assert [op["id"] for op in chain_ops.unfinished(conn)] == [a, b]
        assert chain_ops.update_state(
            conn,
            a,
            "signed",
            expect="queued",
            nonce=7,
            raw_tx=b"\x02raw",
            tx_hash=os.urandom(32),
            count_attempt=True,
        )
        assert not chain_ops.update_state(conn, a, "broadcast", expect="queued")
        assert chain_ops.update_state(conn, b, "failed", last_error="reverted")
    with store.read() as conn:
        (op,) = chain_ops.unfinished(conn)
        assert (op["id"], op["state"], op["nonce"], op["attempts"]) == (a, "signed", 7, 1)
    with pytest.raises(ValueError), store.write() as conn:
        chain_ops.update_state(conn, a, "signed", owner="me")
