"""Merkle proofs read back from the store: ~log2(n) nodes, not the whole tree.

A sealed document knows its batch and its position in the batch's node array; its proof
is the sibling of each node on the path to the root, read from the stored array in one
query (see `notary.store.nodes`). The result is byte-identical to the core tree's
`proof()`, which is what OpenZeppelin's `getProof` returns.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple, cast

from sqlalchemy import Connection, Table, select

from notary.core.types import Leaf, Root
from notary.store.engine import Store
from notary.store.errors import DocumentNotFound, DocumentPending
from notary.store.models import BY_LEAF, Batch, Document, leaf_params
from notary.store.nodes import read_nodes, sibling_indices
from notary.store.records import BatchRecord, DocumentRecord

_DOCS = cast(Table, Document.__table__)
_BATCHES = cast(Table, Batch.__table__)
BATCH_COLUMNS = [c.label(f"b_{c.key}") for c in _BATCHES.c]
"""The batch's columns as `batch_of` reads them, to select beside a document's."""
_LOOKUP = (
    select(_DOCS, *BATCH_COLUMNS)
    .select_from(_DOCS.outerjoin(_BATCHES, _BATCHES.c.id == _DOCS.c.batch_id))
    .where(BY_LEAF)
)


class StoredProof(NamedTuple):
    """A document's proof: root, sibling hashes leaf-to-root, its batch and its record."""

    root: Root
    proof: list[bytes]
    batch: BatchRecord
    document: DocumentRecord


def proof_for(store: Store, leaf: Leaf | str) -> StoredProof:
    """The proof of a sealed document; DocumentNotFound / DocumentPending otherwise."""
    target = leaf if isinstance(leaf, Leaf) else Leaf.from_hex(leaf, "leaf")
    # A sealed document's row, its batch's root and its nodes never change, so the two
    # queries need no common snapshot.
    with store.lookup() as conn:
        return proof_in(conn, target)


def proof_in(conn: Connection, leaf: Leaf) -> StoredProof:
    """`proof_for` inside the caller's transaction (e.g. with the receipt's other reads)."""
    row = conn.execute(_LOOKUP, leaf_params(leaf.raw)).mappings().first()
    if row is None:
        raise DocumentNotFound(leaf.hex)
    document = DocumentRecord.from_row(row, row["b_state"], row["b_anchored_at"])
    if document.batch_id is None:  # no batch to read (its columns are NULL)
        raise DocumentPending(leaf.hex)
    return proof_from(conn, document, batch_of(row))


def batch_of(row: Mapping[Any, Any]) -> BatchRecord:
    """The batch from a row holding BATCH_COLUMNS (meaningful once the document is sealed)."""
    return BatchRecord(
        id=row["b_id"],
        root=Root(row["b_root"]),
        leaf_count=row["b_leaf_count"],
        state=row["b_state"],
        created_at=row["b_created_at"],
        sealed_at=row["b_sealed_at"],
        anchored_at=row["b_anchored_at"],
    )


def proof_from(conn: Connection, document: DocumentRecord, batch: BatchRecord) -> StoredProof:
    """The proof of a sealed document whose batch is known: one query for its nodes."""
    if document.batch_id is None or document.tree_index is None:
        raise DocumentPending(document.leaf.hex)
    path = sibling_indices(document.tree_index)
    nodes = read_nodes(conn, document.batch_id, batch.root.raw, path)
    return StoredProof(batch.root, [nodes[i] for i in path], batch, document)
