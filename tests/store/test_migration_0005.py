"""Migration 0005 keeps every stored document findable and every revocation attached."""

from __future__ import annotations

import hashlib
import os

import rfc8785
from alembic import command
from sqlalchemy import create_engine, text

from notary.core.types import Digest, Leaf
from notary.pipeline.accept import DEDUP_TAG, accept
from notary.pipeline.receipts import load_in
from notary.store.engine import open_store
from notary.store.migrate import alembic_config, upgrade
from notary.store.models import hash_prefix

from .conftest import ISSUER

STAMP = "2025-01-01 00:00:00+00"
METADATA = {"documentNumber": "A-1"}


def _key_0004(digest: bytes, unsalted: dict[str, str] | None) -> bytes:
    """The 32-byte dedup key notary 0004 stored."""
    tail = b"\x00" if unsalted is None else b"\x01" + rfc8785.dumps(unsalted)
    return hashlib.sha256(DEDUP_TAG + bytes.fromhex(ISSUER[2:]) + digest + tail).digest()


def _stored(url: str) -> list[tuple[int, bytes, int, bytes, int, bytes]]:
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT id, leaf, leaf_prefix, digest, digest_prefix, dedup_key"
                " FROM documents ORDER BY id"
            )
        ).all()
    engine.dispose()
    return [(r[0], bytes(r[1]), r[2], bytes(r[3]), r[4], bytes(r[5])) for r in rows]


def test_documents_get_prefixes_and_revocations_their_document(empty_database_url: str) -> None:
    url = empty_database_url
    upgrade(url, "0004")
    leaves = [os.urandom(32) for _ in range(3)]
    digests = [os.urandom(32) for _ in range(3)]
    metadata = [None, None, METADATA | {"salt": "ab" * 16}]
    keys = [_key_0004(d, METADATA if m else None) for d, m in zip(digests, metadata, strict=True)]
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            text("INSERT INTO issuers (address, name, created_at) VALUES (:a, 'x', :t)"),
            {"a": ISSUER, "t": STAMP},
        )
        for leaf, digest, meta, key in zip(leaves, digests, metadata, keys, strict=True):
            conn.execute(
                text(
                    "INSERT INTO documents (leaf, digest, issuer_address, metadata_json,"
                    " metadata_digest, dedup_key, status, created_at)"
                    " VALUES (:l, :d, :a, :j, :m, :k, 'pending', :t)"
                ),
                {
                    "l": leaf,
                    "d": digest,
                    "a": ISSUER,
                    "j": None if meta is None else rfc8785.dumps(meta).decode(),
                    "m": bytes(32),
                    "k": key,
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

    stored = _stored(url)
    assert [(r[1], r[2]) for r in stored] == [(leaf, hash_prefix(leaf)) for leaf in leaves]
    assert [r[4] for r in stored] == [hash_prefix(d) for d in digests]
    assert [r[5] for r in stored] == [key[:16] for key in keys]
    store = open_store(url)
    try:
        with store.read() as conn:
            document = load_in(conn, Leaf(leaves[1]))
        assert document.record.leaf.raw == leaves[1] and document.revocation_reason == 3
        # the same submissions again find the stored documents
        again = accept(store, ISSUER, Digest(digests[2]), METADATA)
        assert not again.created and again.record.leaf.raw == leaves[2]
        assert not accept(store, ISSUER, Digest(digests[0])).created
    finally:
        store.dispose()

    command.downgrade(alembic_config(url), "0004")  # recomputes the full keys
    engine = create_engine(url)
    with engine.connect() as conn:
        full = conn.execute(text("SELECT dedup_key FROM documents ORDER BY id")).scalars().all()
    engine.dispose()
    assert [bytes(k) for k in full] == keys
