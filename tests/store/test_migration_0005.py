"""Migration 0005 keeps every stored document findable and every revocation attached."""

from __future__ import annotations

import os

from sqlalchemy import create_engine, text

from notary.core.types import Leaf
from notary.pipeline.receipts import load_in
from notary.store.engine import open_store
from notary.store.migrate import upgrade
from notary.store.models import hash_prefix

from .conftest import ISSUER

STAMP = "2025-01-01 00:00:00+00"


def test_documents_get_prefixes_and_revocations_their_document(empty_database_url: str) -> None:
    url = empty_database_url
    upgrade(url, "0004")
    leaves = [os.urandom(32) for _ in range(3)]
    digests = [os.urandom(32) for _ in range(3)]
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            text("INSERT INTO issuers (address, name, created_at) VALUES (:a, 'x', :t)"),
            {"a": ISSUER, "t": STAMP},
        )
        for leaf, digest in zip(leaves, digests, strict=True):
            conn.execute(
                text(
                    "INSERT INTO documents (leaf, digest, issuer_address, metadata_digest,"
                    " dedup_key, status, created_at) VALUES (:l, :d, :a, :m, :k, 'pending', :t)"
                ),
                {
                    "l": leaf,
                    "d": digest,
                    "a": ISSUER,
                    "m": bytes(32),
                    "k": os.urandom(32),
                    "t": STAMP,
                },
            )
        conn.execute(
            text(
                "INSERT INTO revocations (leaf, issuer_address, reason, requested_at)"
                " VALUES (:l, :a, 3, :t)"
            ),
            {"l": leaves[1], "a": ISSUER, "t": STAMP},
        )
    engine.dispose()

    upgrade(url)

    engine = create_engine(url)
    with engine.connect() as conn:
        stored = conn.execute(
            text("SELECT id, leaf, leaf_prefix, digest, digest_prefix FROM documents ORDER BY id")
        ).all()
        revoked = conn.execute(text("SELECT document_id FROM revocations")).scalar_one()
    engine.dispose()
    assert [(bytes(r.leaf), r.leaf_prefix) for r in stored] == [
        (leaf, hash_prefix(leaf)) for leaf in leaves
    ]
    assert [r.digest_prefix for r in stored] == [hash_prefix(d) for d in digests]
    assert revoked == stored[1].id
    store = open_store(url)
    try:
        with store.read() as conn:
            document = load_in(conn, Leaf(leaves[1]))
        assert document.record.leaf.raw == leaves[1] and document.revocation_reason == 3
    finally:
        store.dispose()
