"""Accepting documents: validation, salting, idempotency and all-or-nothing bulks."""

from __future__ import annotations

import hashlib
import os

import pytest
from sqlalchemy import func, select

from notary.core.errors import FormatError
from notary.core.merkle import leaf_hash
from notary.core.metadata import canonical_json
from notary.core.types import Digest, LeafValues
from notary.pipeline.accept import (
    MAX_BULK_DOCUMENTS,
    BulkItemError,
    DocumentInput,
    accept,
    accept_many,
)
from notary.store.engine import Store, open_store
from notary.store.errors import UnknownIssuer
from notary.store.issuers import create_issuer, deactivate_issuer
from notary.store.models import Document

from .conftest import ISSUER

META = {
    "documentType": "export-certificate",
    "documentNumber": "EC-2025-0001",
    "holder": "Công ty TNHH Cà phê",
    "issuedOn": "2025-03-01",
}


def _digest() -> Digest:
    return Digest(os.urandom(32))


def _count(store: Store) -> int:
    with store.read() as conn:
        return int(conn.execute(select(func.count()).select_from(Document)).scalar_one())


def test_accept_salts_hashes_and_stores_pending(store: Store, database_url: str) -> None:
    digest = _digest()
    record, created, _ = accept(store, ISSUER.lower(), digest, META)
    assert created and record.status == "pending" and record.batch_id is None
    assert record.issuer == ISSUER  # checksummed
    metadata = record.metadata
    assert metadata is not None and len(metadata["salt"]) == 32
    assert {k: v for k, v in metadata.items() if k != "salt"} == META
    assert record.metadata_json is not None
    assert record.metadata_json.encode() == canonical_json(metadata)
    assert record.metadata_digest.raw == hashlib.sha256(canonical_json(metadata)).digest()
    assert record.leaf == leaf_hash(LeafValues(digest, ISSUER, record.metadata_digest))
    # Durable: a different engine (another process, say) sees the committed row.
    other = open_store(database_url)
    try:
        with other.read() as conn:
            stored = conn.execute(select(Document.leaf)).scalar_one()
        assert stored == record.leaf.raw
    finally:
        other.dispose()


def test_repeat_returns_the_existing_record(store: Store) -> None:
    digest = _digest()
    first, created, _ = accept(store, ISSUER, digest, META)
    reordered = dict(reversed(list(META.items())))
    again, created_again, _ = accept(store, ISSUER, digest.hex, reordered)
    assert created and not created_again
    assert again.leaf == first.leaf and again.metadata_json == first.metadata_json
    assert _count(store) == 1


def test_different_metadata_or_digest_is_a_new_document(store: Store) -> None:
    digest = _digest()
    accept(store, ISSUER, digest, META)
    assert accept(store, ISSUER, digest, {**META, "holder": "someone else"}).created
    assert accept(store, ISSUER, _digest(), META).created
    assert accept(store, ISSUER, digest, None).created
    assert _count(store) == 4


def test_no_metadata_means_zero_metadata_digest_and_no_salt(store: Store) -> None:
    digest = _digest()
    record, _, _ = accept(store, ISSUER, digest)
    assert record.metadata_json is None and record.metadata_digest == Digest(bytes(32))
    assert not accept(store, ISSUER, digest).created


def test_caller_chosen_salt_is_rejected(store: Store) -> None:
    with pytest.raises(FormatError) as err:
        accept(store, ISSUER, _digest(), {**META, "salt": "0" * 32})
    assert err.value.field == "metadata.salt"


@pytest.mark.parametrize(("digest", "field"), [("0x1234", "digest"), ("zz" * 32, "digest")])
def test_malformed_digest_names_the_field(store: Store, digest: str, field: str) -> None:
    with pytest.raises(FormatError) as err:
        accept(store, ISSUER, digest, META)
    assert err.value.field == field and isinstance(err.value, ValueError)


def test_malformed_metadata_and_issuer_name_the_field(store: Store) -> None:
    with pytest.raises(FormatError) as err:
        accept(store, ISSUER, _digest(), {**META, "holder": 7})
    assert err.value.field == "metadata.holder"
    with pytest.raises(FormatError) as err:
        accept(store, "0x1234", _digest(), META)
    assert err.value.field == "issuer"
    assert _count(store) == 0


def test_unknown_or_deactivated_issuer_is_refused(store: Store) -> None:
    stranger = "0x" + "11" * 20
    with pytest.raises(UnknownIssuer):
        accept(store, stranger, _digest(), META)
    with store.write() as conn:
        create_issuer(conn, stranger, "Former agency")
        assert deactivate_issuer(conn, stranger)
    with pytest.raises(UnknownIssuer) as err:
        accept(store, stranger, _digest(), META)
    assert err.value.deactivated and "deactivated" in err.value.diagnostics()


def test_bulk_of_ten_thousand_in_one_call(store: Store) -> None:
    documents = [
        DocumentInput(_digest(), {**META, "documentNumber": f"EC-{i}"})
        for i in range(MAX_BULK_DOCUMENTS)
    ]
    results = accept_many(store, ISSUER, documents)
    assert len(results) == MAX_BULK_DOCUMENTS and all(r.created for r in results)
    assert len({r.record.leaf for r in results}) == MAX_BULK_DOCUMENTS
    assert _count(store) == MAX_BULK_DOCUMENTS
    again = accept_many(store, ISSUER, documents[:100])
    assert not any(r.created for r in again)
    assert [r.record.leaf for r in again] == [r.record.leaf for r in results[:100]]
    assert _count(store) == MAX_BULK_DOCUMENTS


def test_bulk_with_one_bad_item_stores_nothing(store: Store) -> None:
    documents = [DocumentInput(_digest(), META) for _ in range(500)]
    documents[321] = DocumentInput(_digest(), {**META, "issuedOn": "yesterday"})
    with pytest.raises(BulkItemError) as err:
        accept_many(store, ISSUER, documents)
    assert err.value.index == 321 and err.value.field == "documents[321].metadata.issuedOn"
    assert _count(store) == 0


def test_bulk_mixing_new_existing_and_repeated(store: Store) -> None:
    old = accept(store, ISSUER, _digest(), META).record
    fresh = _digest()
    results = accept_many(
        store,
        ISSUER,
        [
            DocumentInput(old.digest, META),
            DocumentInput(fresh, META),
            DocumentInput(fresh, dict(reversed(list(META.items())))),
        ],
    )
    assert [r.created for r in results] == [False, True, False]
    assert results[0].record.leaf == old.leaf
    assert results[1].record.leaf == results[2].record.leaf
    assert _count(store) == 2


def test_bulk_over_the_limit_is_refused(store: Store) -> None:
    with pytest.raises(FormatError) as err:
        accept_many(store, ISSUER, [DocumentInput(_digest())] * (MAX_BULK_DOCUMENTS + 1))
    assert err.value.field == "documents"


def test_bulk_item_of_wrong_shape_names_its_index(store: Store) -> None:
    with pytest.raises(BulkItemError) as err:
        accept_many(store, ISSUER, [DocumentInput(_digest()), "nonsense"])  # type: ignore[list-item]
    assert err.value.index == 1
