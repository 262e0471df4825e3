"""Which stored document a verification by digest and issuer names (and what it may show).

An issuer may notarise one digest more than once with different metadata; the metadata
given (salted, as in a receipt, or as the issuer sent it) chooses among them, and without
it only the one document stored without metadata, or the only one, is named. Whether the
metadata given is then checked against the receipt's depends on how it was given.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection

from notary.core.errors import FormatError
from notary.core.metadata import SALT_FIELD, canonical_json, metadata_digest
from notary.core.types import Digest
from notary.pipeline.accept import dedup_key
from notary.pipeline.receipts import StoredDocument, candidates_in, document_in

Ask = tuple[Digest, str, Mapping[str, Any] | None]
"""A digest, its issuer's checksummed address and the metadata given (if any)."""
Found = tuple[StoredDocument, bool] | None
"""The document, and whether its metadata is checkable; None if there is none."""


def documents_for(conn: Connection, asks: list[Ask]) -> list[Found | Exception]:
    """The documents notarised for each (digest, issuer[, metadata]), or the FormatError
    that says why an ask names none: every ask's candidates at once (pipelined: one round
    trip for all on PostgreSQL), then each one's proof nodes, which never change once the
    batch is sealed: no snapshot is needed."""
    candidates = candidates_in(conn, [(digest, issuer) for digest, issuer, _ in asks])
    found: list[Found | Exception] = []
    for (digest, issuer, metadata), rows in zip(asks, candidates, strict=True):
        try:
            match = notarised_row(rows, digest, issuer, metadata)
        except FormatError as exc:  # this ask's own answer; the others go on
            found.append(exc)
            continue
        found.append(None if match is None else (document_in(conn, match[0]), match[1]))
    return found


def notarised_row(
    rows: Sequence[Mapping[str, Any]],
    digest: Digest,
    issuer: str,
    metadata: Mapping[str, Any] | None,
) -> tuple[Mapping[str, Any], bool] | None:
    """Of the issuer's `rows` for the digest, the one the ask names (True if the metadata
    given is checkable against its receipt); None if there are none; a FormatError naming
    `metadata` when the metadata given matches none, or none was given to choose."""
    if not rows:
        return None
    if metadata is not None:
        if SALT_FIELD in metadata:  # the full salted metadata: the receipt's digest must match
            wanted = metadata_digest(metadata).raw
            match = [r for r in rows if r["metadata_digest"] == wanted]
            return (match or rows)[0], True
        key = dedup_key(issuer, digest, canonical_json(dict(metadata)))
        match = [r for r in rows if r["dedup_key"] == key]
        if not match:
            raise FormatError(
                "metadata", "this issuer notarised the digest, but with other metadata"
            )
        return match[0], False
    bare = [r for r in rows if r["metadata_json"] is None]
    if bare or len(rows) == 1:
        return (bare or rows)[0], False
    raise FormatError(
        "metadata",
        f"the issuer notarised this digest {len(rows)} times with different metadata: "
        "send the metadata (or the receipt) to choose",
    )
