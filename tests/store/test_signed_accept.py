"""Accepting a signing issuer's documents: its Submission signature over their leaves is
checked before anything is stored, and stored once per submission with the tree that
gives each document its path to the signed root."""

from __future__ import annotations

import os
from typing import Any

import pytest
from sqlalchemy import func, select

from notary.core.issuer_signing import (
    IssuerKey,
    RegistryDomain,
    SubmissionRoot,
    in_submission,
    submission_root,
    submission_signer,
    submission_tree,
)
from notary.core.merkle import leaf_hash
from notary.core.metadata import metadata_digest, new_salt
from notary.core.types import Address, Digest, Leaf, LeafValues, to_checksum_address
from notary.pipeline.accept import BulkItemError, DocumentInput, accept, accept_many
from notary.pipeline.receipts import load_document, load_many
from notary.pipeline.submissions import (
    IssuerKeys,
    SignatureRefused,
    SubmissionSignature,
    path_in,
)
from notary.store.engine import Store
from notary.store.issuers import create_issuer
from notary.store.models import Document, Submission

from .conftest import ISSUER

DOMAIN = RegistryDomain.of(31337, "0x" + "11" * 20)
KEY = IssuerKey(bytes.fromhex("4c" * 32))
OTHER_KEY = IssuerKey(bytes.fromhex("4d" * 32))
KEYS = IssuerKeys(ISSUER, signing_since=7, active=frozenset({KEY.address}))


def _meta(number: int) -> dict[str, Any]:
    return {
        "documentType": "land-use-decision",
        "documentNumber": f"QĐ-{number}",
        "salt": new_salt(),
    }


def _leaf(issuer: str, digest: Digest, metadata: dict[str, Any] | None) -> Leaf:
    return leaf_hash(LeafValues(digest, issuer, metadata_digest(metadata)))


def _signed(
    docs: list[tuple[Digest, dict[str, Any] | None]],
    key: IssuerKey = KEY,
    keys: IssuerKeys = KEYS,
    issuer: Address = ISSUER,
) -> list[DocumentInput]:
    """The documents as one submission signed by `key`, as a client sends them."""
    root = submission_root(submission_tree([_leaf(issuer, d, m) for d, m in docs]))
    signature = SubmissionSignature(key.sign_submission(DOMAIN, issuer, root), DOMAIN, keys)
    return [DocumentInput(d, m, signature) for d, m in docs]


def _count(store: Store, table: type[Any]) -> int:
    with store.read() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def _submission_of(store: Store, leaf: Leaf) -> Any:
    with store.read() as conn:
        return conn.execute(
            select(Submission.__table__)
            .join(Document, Document.submission_id == Submission.id)
            .where(Document.leaf == leaf.raw)
        ).one()


def test_a_signed_bulk_is_stored_with_its_signature_and_tree(store: Store) -> None:
    docs = [(Digest(os.urandom(32)), _meta(i) if i % 3 else None) for i in range(7)]
    results = accept_many(store, ISSUER, _signed(docs))
    assert [r.created for r in results] == [True] * 7
    leaves = [_leaf(ISSUER, d, m) for d, m in docs]
    assert [r.record.leaf for r in results] == leaves  # metadata hashed exactly as sent
    root = submission_root(submission_tree(leaves))
    assert _count(store, Submission) == 1
    for leaf in leaves:
        row = _submission_of(store, leaf)
        assert (row.leaves_root, row.signer, row.leaf_count) == (root.raw, KEY.address, 7)
        assert submission_signer(DOMAIN, ISSUER, root, row.signature) == KEY.address
        assert in_submission(leaf, path_in(row.nodes, leaf), SubmissionRoot(row.leaves_root))
    assert results[0].submission is not None and results[0].submission.leaves_root == root


def test_one_signed_document_is_its_own_root(store: Store) -> None:
    digest, meta = Digest(os.urandom(32)), _meta(1)
    ((d, m, signed),) = _signed([(digest, meta)])
    record, created, submission = accept(store, ISSUER, d, m, signed)
    assert created and submission is not None
    assert submission.leaves_root.raw == record.leaf.raw and submission.nodes is None
    row = _submission_of(store, record.leaf)
    assert row.nodes is None and path_in(row.nodes, record.leaf) == []


def test_singles_each_signed_are_each_their_own_submission(store: Store) -> None:
    """As group commit stores them: one accept_many, each document its own signature."""
    singles = [_signed([(Digest(os.urandom(32)), _meta(i))])[0] for i in range(3)]
    results = accept_many(store, ISSUER, singles)
    assert all(r.created for r in results)
    assert _count(store, Submission) == 3
    for r in results:
        assert _submission_of(store, r.record.leaf).leaves_root == r.record.leaf.raw


@pytest.mark.parametrize(
    ("case", "field"),
    [
        ("removed key", "signature"),
        ("signed other leaves", "signature"),
        ("wrong length", "signature"),
        ("claimed another root", "leavesRoot"),
        ("another issuer's keys", "issuer"),
    ],
)
def test_a_bad_signature_stores_nothing(store: Store, case: str, field: str) -> None:
    docs = [(Digest(os.urandom(32)), _meta(i)) for i in range(3)]
    inputs = _signed(docs)
    good = inputs[0].signed
    assert good is not None
    if case == "removed key":
        inputs = _signed(docs, key=OTHER_KEY)
    elif case == "signed other leaves":
        inputs = [*_signed(docs[:2])[:2], DocumentInput(*docs[2], _signed(docs[:2])[0].signed)]
    elif case == "wrong length":
        bad = SubmissionSignature(good.signature[:64], DOMAIN, KEYS)
        inputs = [DocumentInput(d, m, bad) for d, m in docs]
    elif case == "claimed another root":
        claim = SubmissionSignature(good.signature, DOMAIN, KEYS, SubmissionRoot(os.urandom(32)))
        inputs = [DocumentInput(d, m, claim) for d, m in docs]
    else:
        other = to_checksum_address("0x" + "6b" * 20)
        with store.write() as conn:
            create_issuer(conn, other, "Sở Xây dựng")
        theirs = IssuerKeys(other, 5, frozenset({KEY.address}))
        inputs = _signed(docs, keys=theirs, issuer=other)
    with pytest.raises(SignatureRefused) as refused:
        accept_many(store, ISSUER, inputs)
    assert refused.value.field == field
    assert _count(store, Document) == 0 and _count(store, Submission) == 0


def test_signed_metadata_must_carry_its_salt(store: Store) -> None:
    docs: list[tuple[Digest, dict[str, Any] | None]] = [
        (Digest(os.urandom(32)), _meta(0)),
        (Digest(os.urandom(32)), {"documentNumber": "QĐ-9"}),
    ]
    with pytest.raises(BulkItemError) as refused:
        accept_many(store, ISSUER, _signed(docs))
    assert refused.value.field == "documents[1].metadata.salt"
    bad = dict(_meta(1), salt="NOT-HEX")
    with pytest.raises(BulkItemError) as malformed:
        accept_many(store, ISSUER, _signed([(Digest(os.urandom(32)), bad)]))
    assert malformed.value.field == "documents[0].metadata.salt"


def test_a_signed_submission_sent_again_is_the_same_records(store: Store) -> None:
    docs = [(Digest(os.urandom(32)), _meta(i)) for i in range(4)]
    first = accept_many(store, ISSUER, _signed(docs))
    again = accept_many(store, ISSUER, _signed(docs))
    assert [r.created for r in again] == [False] * 4
    assert [r.record.leaf for r in again] == [r.record.leaf for r in first]
    assert _count(store, Submission) == 1


def test_a_vouched_document_sent_again_signed_is_a_new_record(store: Store) -> None:
    digest, meta = Digest(os.urandom(32)), {"documentNumber": "QĐ-12"}
    vouched = accept(store, ISSUER, digest, meta)
    signed = accept_many(store, ISSUER, _signed([(digest, dict(meta, salt=new_salt()))]))
    assert signed[0].created and signed[0].record.leaf != vouched.record.leaf
    assert _submission_of(store, signed[0].record.leaf).signer == KEY.address


def test_a_stored_document_reads_back_with_its_signature_and_path(store: Store) -> None:
    docs = [(Digest(os.urandom(32)), _meta(i)) for i in range(5)]
    results = accept_many(store, ISSUER, _signed(docs))
    vouched = accept(store, ISSUER, Digest(os.urandom(32)), {"documentNumber": "QĐ-7"})
    root = submission_root(submission_tree([r.record.leaf for r in results]))
    for loaded in load_many(store, [r.record.leaf for r in results]):
        assert loaded is not None and loaded.signed_by is not None
        signed = loaded.signed_by
        assert (signed.signer, signed.leaves_root) == (KEY.address, root)
        assert submission_signer(DOMAIN, ISSUER, root, signed.signature) == KEY.address
        assert in_submission(loaded.record.leaf, signed.path, root)
    assert load_document(store, vouched.record.leaf).signed_by is None
