"""Read models: immutable snapshots of stored rows, handed to the API, CLI and worker.

A document's stored status is pending or sealed; it *reads* as anchored, with its batch's
anchored_at, once its batch is final. Finalising a batch is then one row update however
many documents it holds, and a reorg that un-finalises it is one update too.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from notary.core.types import Digest, Leaf, LeafValues, Root
from notary.store.models import ANCHORED, FINAL_BATCH_STATE


@dataclass(frozen=True, slots=True)
class DocumentRecord:
    """One notarised document as stored; `leaf` is its public identity."""

    leaf: Leaf
    digest: Digest
    issuer: str
    metadata_json: str | None
    metadata_digest: Digest
    status: str
    batch_id: int | None
    tree_index: int | None
    created_at: dt.datetime
    anchored_at: dt.datetime | None = None

    @classmethod
    def from_row(
        cls,
        row: Mapping[Any, Any],
        batch_state: str | None = None,
        batch_anchored_at: dt.datetime | None = None,
    ) -> DocumentRecord:
        """A record from a `documents` row mapping (Core result `.mappings()`).

        The status reads "anchored" when the document's batch is final, so pass the
        batch's state and anchored_at, or select them as `batch_state` and
        `batch_anchored_at` beside the document's columns. Without them the record shows
        the stored status (pending or sealed), never more than the truth.
        """
        state = batch_state if batch_state is not None else row.get("batch_state")
        final = row["batch_id"] is not None and state == FINAL_BATCH_STATE
        if final and batch_anchored_at is None:
            batch_anchored_at = row.get("batch_anchored_at")
        return cls(
            leaf=Leaf(row["leaf"]),
            digest=Digest(row["digest"]),
            issuer=row["issuer_address"],
            metadata_json=row["metadata_json"],
            metadata_digest=Digest(row["metadata_digest"]),
            status=ANCHORED if final else row["status"],
            batch_id=row["batch_id"],
            tree_index=row["tree_index"],
            created_at=row["created_at"],
            anchored_at=batch_anchored_at if final else None,
        )

    @property
    def metadata(self) -> dict[str, Any] | None:
        """The salted metadata object (parsed from the exact canonical JSON that was hashed)."""
        return None if self.metadata_json is None else dict(json.loads(self.metadata_json))

    @property
    def values(self) -> LeafValues:
        """The leaf's three values (digest, issuer, metadataDigest)."""
        return LeafValues(self.digest, self.issuer, self.metadata_digest)


@dataclass(frozen=True, slots=True)
class BatchRecord:
    """A sealed batch: its root, size and where it is on the way to the chain."""

    id: int
    root: Root
    leaf_count: int
    state: str
    created_at: dt.datetime
    sealed_at: dt.datetime | None
    anchored_at: dt.datetime | None
