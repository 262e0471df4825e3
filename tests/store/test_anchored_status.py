"""A document reads as anchored from its batch: finalising a batch touches one row."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from sqlalchemy import create_engine, select, text

from notary.core.types import Digest
from notary.pipeline.accept import DocumentInput, accept_many
from notary.pipeline.batcher import document_counts, seal_due_batches
from notary.pipeline.effects import Inclusion
from notary.pipeline.ledger import StoreLedger
from notary.pipeline.operations import FINAL, QUEUED
from notary.pipeline.proofs import proof_for
from notary.store.engine import Store
from notary.store.migrate import upgrade
from notary.store.models import Document

from .conftest import ISSUER

LATER = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
AT = 1_750_000_000


def test_final_batch_reads_anchored_without_updating_documents(store: Store) -> None:
    docs = [DocumentInput(Digest(os.urandom(32))) for _ in range(5)]
    leaves = [r.record.leaf for r in accept_many(store, ISSUER, docs)]
    assert accept_many(store, ISSUER, docs[:1])[0].record.status == "pending"
    (batch,) = seal_due_batches(store, now=LATER)
    ledger = StoreLedger(store)
    with store.read() as conn:
        assert document_counts(conn) == {"pending": 0, "sealed": 5, "anchored": 0}

    ledger.record_final(batch.chain_op_id, Inclusion(7, b"\x01" * 32, b"\x02" * 32, AT))
    stored = proof_for(store, leaves[0])
    assert stored.document.status == "anchored" and stored.batch.state == FINAL
    assert stored.document.anchored_at == dt.datetime.fromtimestamp(AT, dt.UTC)
    again = accept_many(store, ISSUER, docs[:1])[0]  # a resubmission sees the same
    assert not again.created and again.record.status == "anchored"
    with store.read() as conn:
        assert document_counts(conn) == {"pending": 0, "sealed": 0, "anchored": 5}
        stored_statuses = set(conn.execute(select(Document.status)).scalars())
    assert stored_statuses == {"sealed"}  # no document row was rewritten

    ledger.record_dropped(batch.chain_op_id, QUEUED, "reorg")  # back to sealed
    stored = proof_for(store, leaves[0])
    assert stored.document.status == "sealed" and stored.document.anchored_at is None


def test_migration_0002_keeps_anchored_documents_readable(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade(url, "0001")
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO issuers (address, name, created_at)"
                " VALUES (:a, 'x', '2025-01-01 00:00:00')"
            ),
            {"a": ISSUER},
        )
        conn.execute(
            text(
                "INSERT INTO batches (id, root, leaf_count, state, created_at, anchored_at)"
                " VALUES (1, :r, 1, 'final', '2025-01-01 00:00:00', '2025-01-02 00:00:00')"
            ),
            {"r": os.urandom(32)},
        )
        conn.execute(
            text(
                "INSERT INTO documents (leaf, digest, issuer_address, metadata_digest, dedup_key,"
                " status, batch_id, tree_index, created_at, anchored_at) VALUES (:l, :d, :a, :m,"
                " :k, 'anchored', 1, 0, '2025-01-01 00:00:00', '2025-01-02 00:00:00')"
            ),
            {"l": os.urandom(32), "d": os.urandom(32), "a": ISSUER, "m": bytes(32), "k": b"k" * 32},
        )
    engine.dispose()
    upgrade(url)
    engine = create_engine(url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT status FROM documents")).scalar_one() == "sealed"
        columns = [row[1] for row in conn.execute(text("PRAGMA table_info(documents)"))]
    engine.dispose()
    assert "anchored_at" not in columns
